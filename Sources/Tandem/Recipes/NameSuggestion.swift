/// "Did you mean …?" for misspelt names.
public enum NameSuggestion {
    /// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
    public static func nearest(to name: String, in candidates: [String]) -> String? {
        let lowered = name.lowercased()
        let scored = candidates.map { ($0, editDistance(lowered, $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let limit = max(2, min(name.count, best.0.count) / 3)
        return best.1 <= limit ? best.0 : nil
    }

    /// Damerau–Levenshtein distance (adjacent transpositions count as one edit).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[x.count][y.count]
    }

    /// "unknown strategy 'pcgard' — did you mean 'pcgrad'? (valid: …)".
    public static func unknown(_ what: String, _ name: String, valid: [String]) -> String {
        var message = "unknown \(what) '\(name)'"
        if let suggestion = nearest(to: name, in: valid) { message += " — did you mean '\(suggestion)'?" }
        message += " (valid: \(valid.joined(separator: ", ")))"
        return message
    }
}
