import CLibPQ
import Glibc

/// libpq's functions, loaded with dlopen the first time a PostgreSQL store is opened.
///
/// Linking libpq would make every start of `governance` map libpq and its dependency closure
/// (Kerberos, LDAP, GnuTLS, SASL, ...): about 2 ms of a one-event `audit log`, which is mostly
/// start-up, and wasted on the embedded store. The signatures below are libpq-fe.h's.
struct LibPQ: @unchecked Sendable {
    typealias Connection = OpaquePointer
    typealias Result = OpaquePointer
    typealias Parameters = UnsafePointer<UnsafePointer<CChar>?>?
    typealias NoticeProcessor = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void

    let connectdb: @convention(c) (UnsafePointer<CChar>?) -> Connection?
    let status: @convention(c) (Connection?) -> UInt32
    let errorMessage: @convention(c) (Connection?) -> UnsafeMutablePointer<CChar>?
    let finish: @convention(c) (Connection?) -> Void
    let setNoticeProcessor: @convention(c) (Connection?, NoticeProcessor?, UnsafeMutableRawPointer?) -> NoticeProcessor?
    let exec: @convention(c) (Connection?, UnsafePointer<CChar>?) -> Result?
    let execParams: @convention(c) (Connection?, UnsafePointer<CChar>?, Int32, UnsafePointer<UInt32>?, Parameters,
                                    UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32) -> Result?
    let sendQueryParams: @convention(c) (Connection?, UnsafePointer<CChar>?, Int32, UnsafePointer<UInt32>?, Parameters,
                                         UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32) -> Int32
    let setSingleRowMode: @convention(c) (Connection?) -> Int32
    let getResult: @convention(c) (Connection?) -> Result?
    let clear: @convention(c) (Result?) -> Void
    let resultStatus: @convention(c) (Result?) -> UInt32
    let resultErrorMessage: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?
    let resultErrorField: @convention(c) (Result?, Int32) -> UnsafeMutablePointer<CChar>?
    let cmdTuples: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?
    let nfields: @convention(c) (Result?) -> Int32
    let getisnull: @convention(c) (Result?, Int32, Int32) -> Int32
    let getlength: @convention(c) (Result?, Int32, Int32) -> Int32
    let getvalue: @convention(c) (Result?, Int32, Int32) -> UnsafeMutablePointer<CChar>?
    let requestCancel: @convention(c) (Connection?) -> Int32
    let socket: @convention(c) (Connection?) -> Int32
    let consumeInput: @convention(c) (Connection?) -> Int32
    let notifies: @convention(c) (Connection?) -> UnsafeMutableRawPointer?
    let freemem: @convention(c) (UnsafeMutableRawPointer?) -> Void

    // Values from libpq-fe.h's enums.
    static let connectionOK = CONNECTION_OK.rawValue
    static let commandOK = PGRES_COMMAND_OK.rawValue
    static let tuplesOK = PGRES_TUPLES_OK.rawValue
    static let singleTuple = PGRES_SINGLE_TUPLE.rawValue

    /// Loaded once per process; the error says how to install libpq when it is missing.
    static let shared: Swift.Result<LibPQ, GovernanceError> = {
        do throws(GovernanceError) { return .success(try LibPQ()) } catch { return .failure(error) }
    }()

    private init() throws(GovernanceError) {
        guard let handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL) ?? dlopen("libpq.so", RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            throw .config("PostgreSQL support needs libpq, which could not be loaded: \(reason)",
                          hint: "install it (apt-get install libpq5), or use the embedded SQLite store")
        }
        func symbol<T>(_ name: String) throws(GovernanceError) -> T {
            guard let pointer = dlsym(handle, name) else {
                throw .config("the libpq found has no \(name); it is too old", hint: "install libpq 12 or newer")
            }
            return unsafeBitCast(pointer, to: T.self)
        }
        connectdb = try symbol("PQconnectdb")
        status = try symbol("PQstatus")
        errorMessage = try symbol("PQerrorMessage")
        finish = try symbol("PQfinish")
        setNoticeProcessor = try symbol("PQsetNoticeProcessor")
        exec = try symbol("PQexec")
        execParams = try symbol("PQexecParams")
        sendQueryParams = try symbol("PQsendQueryParams")
        setSingleRowMode = try symbol("PQsetSingleRowMode")
        getResult = try symbol("PQgetResult")
        clear = try symbol("PQclear")
        resultStatus = try symbol("PQresultStatus")
        resultErrorMessage = try symbol("PQresultErrorMessage")
        resultErrorField = try symbol("PQresultErrorField")
        cmdTuples = try symbol("PQcmdTuples")
        nfields = try symbol("PQnfields")
        getisnull = try symbol("PQgetisnull")
        getlength = try symbol("PQgetlength")
        getvalue = try symbol("PQgetvalue")
        requestCancel = try symbol("PQrequestCancel")
        socket = try symbol("PQsocket")
        consumeInput = try symbol("PQconsumeInput")
        notifies = try symbol("PQnotifies")
        freemem = try symbol("PQfreemem")
    }
}
