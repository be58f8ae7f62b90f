/// Inline SVG bar charts for the HTML report: drawn from the per-day figures, with an accessible
/// title and a legend in HTML. Store text (model names) is escaped like all other text.
enum ReportCharts {
    /// One colour per charted model; the last (grey) is for everything else.
    static let palette = ["#0969da", "#8250df", "#1a7f37", "#bf3989", "#9a6700", "#0550ae", "#cf222e", "#116329"]
    static let otherColor = "#afb8c1"
    /// Days drawn at most: the most recent ones (the JSON report has them all).
    static let maxDaysDrawn = 90
    static let width = 1000.0, height = 240.0, left = 56.0, right = 12.0, top = 12.0, bottom = 34.0

    static func activity(_ e: Evidence) -> String {
        let days = drawnDays(e)
        let names = e.chartModels + [e.chartModels.count < Evidence.chartedModels ? "no model (tool calls, gates, ...)" : "other models, or none"]
        // The named models' slots, then the last slot: every other model and events without one.
        let series = days.map { day in
            let slots = e.days[day]!.byModel
            return (slots.prefix(e.chartModels.count) + [slots[Evidence.chartedModels]]).map(Double.init)
        }
        return figure(caption: "Events per day, by model", days: days, series: series, names: names, stacked: true,
                      note: omittedNote(e))
    }

    static func anomalies(_ e: Evidence) -> String {
        let days = drawnDays(e)
        let series = days.map { [Double(e.days[$0]!.anomalies), Double(e.days[$0]!.responses)] }
        return figure(caption: "Anomalies (violations, loops, silent agents) and responses (kills, gates, policy changes) per day",
                      days: days, series: series, names: ["anomalies", "responses"], stacked: false, note: omittedNote(e),
                      colors: ["#cf222e", "#1a7f37"])
    }

    static func drawnDays(_ e: Evidence) -> [Int64] { Array(e.days.keys.sorted().suffix(maxDaysDrawn)) }

    static func omittedNote(_ e: Evidence) -> String {
        let hidden = max(0, e.days.count - maxDaysDrawn)
        return hidden > 0 || e.daysOmitted > 0 ? "The last \(maxDaysDrawn) days with activity are drawn; the JSON report lists every day." : ""
    }

    static func figure(caption: String, days: [Int64], series: [[Double]], names: [String], stacked: Bool, note: String,
                       colors: [String] = palette) -> String {
        var out = "<figure>\n<figcaption>\(ReportHTML.escape(caption))</figcaption>\n"
        guard !days.isEmpty else { return out + "<p class=\"empty\">No events in scope.</p>\n</figure>\n" }
        let maxValue = niceCeiling(max(1, series.map { stacked ? $0.reduce(0, +) : ($0.max() ?? 0) }.max() ?? 1))
        let plotW = width - left - right, plotH = height - top - bottom
        let slot = plotW / Double(days.count)
        let groups = stacked ? 1 : max(1, names.count)
        let barW = max(1, min(48, slot * 0.8) / Double(groups))
        func y(_ v: Double) -> Double { top + plotH - plotH * v / maxValue }

        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" role=\"img\" aria-label=\"\(ReportHTML.escape(caption))\">\n"
        out += "<title>\(ReportHTML.escape(caption))</title>\n"
        // Grid and the y axis: 0, half and the maximum.
        for fraction in [0.0, 0.5, 1.0] {
            let value = (maxValue * fraction).rounded()
            out += "<line x1=\"\(fmt(left))\" x2=\"\(fmt(width - right))\" y1=\"\(fmt(y(value)))\" y2=\"\(fmt(y(value)))\" stroke=\"#d0d7de\" stroke-width=\"1\"/>\n"
            out += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(y(value) + 4))\" text-anchor=\"end\" fill=\"#57606a\">\(grouped(Int(value)))</text>\n"
        }
        for (i, values) in series.enumerated() {
            let x0 = left + slot * Double(i) + (slot - barW * Double(groups)) / 2
            var base = 0.0
            for (k, v) in values.enumerated() where v > 0 {
                let color = color(k, of: values.count, colors: colors, stacked: stacked)
                let x = stacked ? x0 : x0 + barW * Double(k)
                let y0 = stacked ? base : 0
                let h = plotH * v / maxValue
                out += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y(y0 + v)))\" width=\"\(fmt(barW))\" height=\"\(fmt(max(h, 0.5)))\" fill=\"\(color)\">"
                out += "<title>\(Evidence.date(ofDay: days[i])): \(ReportHTML.escape(names[min(k, names.count - 1)])) \(grouped(Int(v)))</title></rect>\n"
                if stacked { base += v }
            }
        }
        // Date labels: first, last, and a few between.
        let labelEvery = max(1, Int((Double(days.count) / 6).rounded(.up)))
        for (i, day) in days.enumerated() where i % labelEvery == 0 || i == days.count - 1 {
            // The last day is labelled unless the label before it is too close to leave room.
            if i == days.count - 1, i % labelEvery != 0, Double(i % labelEvery) * slot < 90 { continue }
            let x = left + slot * (Double(i) + 0.5)
            out += "<text x=\"\(fmt(x))\" y=\"\(fmt(height - bottom + 18))\" text-anchor=\"middle\" fill=\"#57606a\">\(Evidence.date(ofDay: day))</text>\n"
        }
        out += "<line x1=\"\(fmt(left))\" x2=\"\(fmt(width - right))\" y1=\"\(fmt(top + plotH))\" y2=\"\(fmt(top + plotH))\" stroke=\"#57606a\" stroke-width=\"1\"/>\n"
        out += "</svg>\n<ul class=\"legend\">"
        for (k, name) in names.enumerated() where series.contains(where: { k < $0.count && $0[k] > 0 }) || !stacked {
            out += "<li><span class=\"swatch\" style=\"background:\(color(k, of: names.count, colors: colors, stacked: stacked))\"></span>\(ReportHTML.escape(name))</li>"
        }
        out += "</ul>\n"
        if !note.isEmpty { out += "<p class=\"omitted\">\(ReportHTML.escape(note))</p>\n" }
        return out + "</figure>\n"
    }

    /// In the per-model chart the last series (everything else) is grey.
    static func color(_ k: Int, of count: Int, colors: [String], stacked: Bool) -> String {
        stacked && k == count - 1 ? otherColor : colors[min(k, colors.count - 1)]
    }

    /// The axis maximum: the next even 1, 2 or 5 times a power of ten, so that the half-way
    /// gridline is a whole number too (3 -> 4, 52 -> 60, 740 -> 800).
    static func niceCeiling(_ value: Double) -> Double {
        var scale = 1.0
        while scale * 10 <= value { scale *= 10 }
        for step in [1.0, 2.0, 4.0, 6.0, 8.0, 10.0] where step * scale >= value { return step * scale }
        return 10 * scale
    }

    /// A coordinate with at most one decimal.
    static func fmt(_ v: Double) -> String {
        let tenths = Int((v * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(abs(tenths % 10))"
    }
}
