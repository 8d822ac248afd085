import Foundation

/// A line chart written as self-contained SVG text (no dependencies): a title, axes with
/// round-numbered ticks and grid lines, axis labels, one polyline per series and a legend.
public struct SVGPlot {
    /// One line of the chart.
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Drawn dashed (e.g. encoder weights beside solid decoder weights, or a baseline).
        public var dashed: Bool
        /// Index into the palette; series sharing a colour index share a colour.
        public var colorIndex: Int
        /// Per point, the half-length of a vertical whisker (y ± error; e.g. the spread over seeds);
        /// `nil` entries, or no array, draw none. Drawn as one `<path class="whiskers">` per series.
        public var errors: [Double?]?
        /// A dot at every point (for a few measured settings rather than a curve over steps).
        public var markers: Bool

        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false, colorIndex: Int, errors: [Double?]? = nil,
                    markers: Bool = false) {
            self.name = name
            self.points = points
            self.dashed = dashed
            self.colorIndex = colorIndex
            self.errors = errors
            self.markers = markers
        }

        /// The points and their whiskers' half-lengths (0 where none), all plottable
        /// (`SVGPlot.isPlottable`); other points are left out, other whiskers drawn as none.
        var finitePointsAndErrors: [(x: Double, y: Double, error: Double)] {
            points.indices.compactMap { index in
                let point = points[index]
                guard SVGPlot.isPlottable(point.x), SVGPlot.isPlottable(point.y) else { return nil }
                let error = errors.flatMap { index < $0.count ? $0[index] : nil } ?? 0
                return (point.x, point.y, SVGPlot.isPlottable(error) ? abs(error) : 0)
            }
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// Tableau 10, distinguishable and readable on white.
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    /// Round tick positions covering `low...high`: the finest step of 1, 2 or 5 × 10ᵏ that needs at
    /// most `limit` intervals, the axis bounds the ticks span, and the digits after the point their
    /// labels need.
    ///
    /// Any bounds give at most `limit` + 1 ticks: bounds that are not plottable become 0…1, and a
    /// range narrower than the values' own precision (10²⁰ to 10²⁰ + 1) is widened until its ticks
    /// are distinct numbers.
    static func ticks(low: Double, high: Double, limit: Int = 7) -> (values: [Double], low: Double, high: Double, decimals: Int) {
        var low = isPlottable(low) ? low : 0, high = isPlottable(high) ? high : max(low, 0) + 1
        if !(high > low) {
            let pad = low == 0 ? 1 : low.magnitude * 0.1
            low -= pad
            high += pad
        }
        let resolution = max(max(low.magnitude, high.magnitude).ulp * 64 * Double(limit), 1e-290)
        if high - low < resolution {
            let middle = low / 2 + high / 2
            low = middle - resolution / 2
            high = middle + resolution / 2
        }
        var magnitude = pow(10, (log10((high - low) / Double(limit))).rounded(.down))
        var step = magnitude
        search: while true {
            for multiple in [1.0, 2, 5] {
                step = multiple * magnitude
                if (high / step).rounded(.up) - (low / step).rounded(.down) <= Double(limit) { break search }
            }
            magnitude *= 10
        }
        let first = (low / step).rounded(.down), last = (high / step).rounded(.up)
        let values = (0...Int(last - first)).map { (first + Double($0)) * step }
        return (values, first * step, last * step, min(12, max(0, Int(-(log10(step)).rounded(.down)))))
    }

    /// Whether a value can be placed on an axis: finite and at most 10³⁰⁰ in magnitude, so that
    /// differences and whiskers of plotted values never overflow.
    static func isPlottable(_ value: Double) -> Bool { value.isFinite && value.magnitude <= 1e300 }

    /// A tick label: `decimals` digits after the point, or three significant digits with an
    /// exponent for values too large or too small for that.
    static func tickLabel(_ value: Double, decimals: Int) -> String {
        value != 0 && (value.magnitude >= 1e7 || decimals >= 7) ? String(format: "%.3g", value) : String(format: "%.\(decimals)f", value)
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    /// The chart as an SVG document.
    public func svg() -> String {
        let withErrors = series.map(\.finitePointsAndErrors)
        let finite = withErrors.map { line in line.map { (x: $0.x, y: $0.y) } }
        // The y range covers the whiskers too.
        var all: [(x: Double, y: Double)] = finite.flatMap { $0 }
        for line in withErrors {
            for point in line where point.error > 0 {
                all.append((x: point.x, y: point.y - point.error))
                all.append((x: point.x, y: point.y + point.error))
            }
        }
        let longestName = series.map(\.name.count).max() ?? 0
        let legendWidth = Double(min(260, max(110, 36 + 7 * longestName)))
        let width = 760.0
        let height = max(380.0, 90 + 18 * Double(series.count))
        let left = 72.0, top = 40.0, right = width - legendWidth - 16, bottom = height - 52
        let x = SVGPlot.ticks(low: all.map(\.x).min() ?? 0, high: all.map(\.x).max() ?? 1)
        let y = SVGPlot.ticks(low: all.map(\.y).min() ?? 0, high: all.map(\.y).max() ?? 1)
        func px(_ value: Double) -> Double { left + (value - x.low) / (x.high - x.low) * (right - left) }
        func py(_ value: Double) -> Double { bottom - (value - y.low) / (y.high - y.low) * (bottom - top) }
        let n = SVGPlot.number

        var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">"]
        out.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        out.append("<text x=\"\(n((left + right) / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">\(SVGPlot.escaped(title))</text>")
        for value in x.values {
            out.append("<line x1=\"\(n(px(value)))\" y1=\"\(n(top))\" x2=\"\(n(px(value)))\" y2=\"\(n(bottom))\" stroke=\"#e6e6e6\"/>")
            out.append("<text x=\"\(n(px(value)))\" y=\"\(n(bottom + 16))\" text-anchor=\"middle\">\(SVGPlot.tickLabel(value, decimals: x.decimals))</text>")
        }
        for value in y.values {
            out.append("<line x1=\"\(n(left))\" y1=\"\(n(py(value)))\" x2=\"\(n(right))\" y2=\"\(n(py(value)))\" stroke=\"#e6e6e6\"/>")
            out.append("<text x=\"\(n(left - 6))\" y=\"\(n(py(value) + 4))\" text-anchor=\"end\">\(SVGPlot.tickLabel(value, decimals: y.decimals))</text>")
        }
        out.append("<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(right - left))\" height=\"\(n(bottom - top))\" fill=\"none\" stroke=\"#333333\"/>")
        out.append("<text x=\"\(n((left + right) / 2))\" y=\"\(n(height - 14))\" text-anchor=\"middle\">\(SVGPlot.escaped(xLabel))</text>")
        out.append("<text transform=\"translate(18 \(n((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(SVGPlot.escaped(yLabel))</text>")
        if all.isEmpty {
            out.append("<text x=\"\(n((left + right) / 2))\" y=\"\(n((top + bottom) / 2))\" text-anchor=\"middle\" fill=\"#888888\">no data</text>")
        }
        for (index, (line, points)) in zip(series, finite).enumerated() {
            let color = SVGPlot.palette[line.colorIndex % SVGPlot.palette.count]
            let dash = line.dashed ? " stroke-dasharray=\"6 3\"" : ""
            let whiskers = withErrors[index].filter { $0.error > 0 }.map { point in
                "M\(n(px(point.x))) \(n(py(point.y - point.error)))V\(n(py(point.y + point.error)))"
                    + "M\(n(px(point.x) - 4)) \(n(py(point.y - point.error)))h8M\(n(px(point.x) - 4)) \(n(py(point.y + point.error)))h8"
            }
            if !whiskers.isEmpty {
                out.append("<path class=\"whiskers\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1\" d=\"\(whiskers.joined())\"/>")
            }
            if points.count == 1 || line.markers {
                for point in points {
                    out.append("<circle cx=\"\(n(px(point.x)))\" cy=\"\(n(py(point.y)))\" r=\"3\" fill=\"\(color)\"/>")
                }
            }
            if points.count > 1 {
                let coordinates = points.map { "\(n(px($0.x))),\(n(py($0.y)))" }.joined(separator: " ")
                out.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"\(dash) points=\"\(coordinates)\"/>")
            }
        }
        let legendLeft = right + 14
        for (index, line) in series.enumerated() {
            let color = SVGPlot.palette[line.colorIndex % SVGPlot.palette.count]
            let dash = line.dashed ? " stroke-dasharray=\"6 3\"" : ""
            let rowY = top + 8 + 18 * Double(index)
            out.append("<line x1=\"\(n(legendLeft))\" y1=\"\(n(rowY))\" x2=\"\(n(legendLeft + 24))\" y2=\"\(n(rowY))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>")
            out.append("<text x=\"\(n(legendLeft + 30))\" y=\"\(n(rowY + 4))\">\(SVGPlot.escaped(line.name))</text>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }
}
