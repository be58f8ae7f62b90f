import Glibc
import GovernanceCLI

exit(CLI.main())
