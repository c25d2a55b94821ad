/// "Did you mean ...?": the known name closest to what was typed, when it is close enough to be a typo.
public enum Suggestion {
    /// The name in `known` at the smallest edit distance from `text` (insertions, deletions, substitutions and
    /// swaps of neighbours), if that distance is at most a third of the text's length (at least 1, at most 3); else
    /// the one name that starts as `text` does for longest (four characters at least).
    public static func closest(to text: String, in known: [String]) -> String? {
        let limit = min(3, max(1, text.count / 3))
        var best: (name: String, distance: Int)?
        for name in known where name != text {
            let distance = Self.distance(Array(text.unicodeScalars), Array(name.unicodeScalars), limit: limit)
            if distance <= limit, best.map({ distance < $0.distance || (distance == $0.distance && name < $0.name) }) ?? true {
                best = (name, distance)
            }
        }
        if let best { return best.name }
        // A typo past the end of a name's start ("prodd" for "production"): the one name sharing the longest start, of
        // four characters or more.
        func shared(_ name: String) -> Int { zip(text, name).prefix { $0 == $1 }.count }
        let ranked = known.filter { $0 != text }.map { ($0, shared($0)) }.filter { $0.1 >= 4 }.sorted { $0.1 > $1.1 }
        guard let first = ranked.first, ranked.dropFirst().first?.1 != first.1 else { return nil }
        return first.0
    }

    /// Optimal string alignment distance, stopping early once every path is past `limit`.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...max(1, a.count) where !a.isEmpty {
            current[0] = i
            var smallest = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { value = min(value, before[j - 2] + 1) }
                current[j] = value
                smallest = min(smallest, value)
            }
            if smallest > limit { return limit + 1 }
            (before, previous, current) = (previous, current, before)
        }
        return a.isEmpty ? b.count : b.isEmpty ? a.count : previous[b.count]
    }

    /// " (did you mean 'NAME'?)" for the closest known name, or "".
    public static func hint(for text: String, in known: [String]) -> String {
        closest(to: text, in: known).map { "; did you mean '\($0)'?" } ?? ""
    }
}
