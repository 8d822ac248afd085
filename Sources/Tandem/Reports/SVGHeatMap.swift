import Foundation

/// A labelled matrix as a self-contained SVG heat map: one square per entry, coloured on a
/// diverging scale centred at `centre` (blue below, red above, white at the centre; NaN grey),
/// with its value printed, row labels on the left and column labels on top.
public struct SVGHeatMap {
    public var title: String
    public var rowTitle: String
    public var columnTitle: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var values: [[Double]]
    public var centre: Double

    public init(title: String, rowTitle: String, columnTitle: String, rowLabels: [String], columnLabels: [String],
                values: [[Double]], centre: Double = 0) {
        precondition(values.count == rowLabels.count && values.allSatisfy { $0.count == columnLabels.count },
                     "SVGHeatMap: \(values.count) rows for \(rowLabels.count) labels, columns must match \(columnLabels.count) labels")
        self.title = title
        self.rowTitle = rowTitle
        self.columnTitle = columnTitle
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
        self.centre = centre
    }

    /// The fill of `value`: white at the centre, saturating at the largest distance from it.
    func colour(_ value: Double, scale: Double) -> String {
        guard value.isFinite else { return "#d9d9d9" }
        let t = scale > 0 ? min(1, abs(value - centre) / scale) : 0
        let (r, g, b): (Double, Double, Double) = value >= centre ? (1, 1 - 0.75 * t, 1 - 0.8 * t) : (1 - 0.8 * t, 1 - 0.6 * t, 1)
        return String(format: "#%02x%02x%02x", Int(r * 255), Int(g * 255), Int(b * 255))
    }

    public func svg() -> String {
        let cell = 64.0
        let longest = Double(rowLabels.map(\.count).max() ?? 4)
        let left = 40 + 7 * longest, top = 86.0
        let width = left + cell * Double(columnLabels.count) + 24, height = top + cell * Double(rowLabels.count) + 24
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        let scale = finite.map { abs($0 - centre) }.max() ?? 0
        let n = SVGPlot.number
        var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">"]
        out.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        out.append("<text x=\"\(n(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(SVGPlot.escaped(title))</text>")
        out.append("<text x=\"\(n(left + cell * Double(columnLabels.count) / 2))\" y=\"48\" text-anchor=\"middle\" fill=\"#555555\">\(SVGPlot.escaped(columnTitle))</text>")
        out.append("<text transform=\"translate(16 \(n(top + cell * Double(rowLabels.count) / 2))) rotate(-90)\" text-anchor=\"middle\" fill=\"#555555\">\(SVGPlot.escaped(rowTitle))</text>")
        for (j, label) in columnLabels.enumerated() {
            out.append("<text x=\"\(n(left + cell * (Double(j) + 0.5)))\" y=\"\(n(top - 8))\" text-anchor=\"middle\">\(SVGPlot.escaped(label))</text>")
        }
        for (i, label) in rowLabels.enumerated() {
            let y = top + cell * Double(i)
            out.append("<text x=\"\(n(left - 6))\" y=\"\(n(y + cell / 2 + 4))\" text-anchor=\"end\">\(SVGPlot.escaped(label))</text>")
            for (j, value) in values[i].enumerated() {
                let x = left + cell * Double(j)
                out.append("<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(cell))\" height=\"\(n(cell))\" fill=\"\(colour(value, scale: scale))\" stroke=\"white\"/>")
                let text = value.isFinite ? String(format: abs(value) >= 100 ? "%.0f" : "%.3g", value) : "n/a"
                out.append("<text x=\"\(n(x + cell / 2))\" y=\"\(n(y + cell / 2 + 4))\" text-anchor=\"middle\">\(text)</text>")
            }
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }
}
