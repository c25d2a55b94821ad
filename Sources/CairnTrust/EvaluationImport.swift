import Foundation

/// A metric read from an evaluation tool's results file: promptfoo's JSON output (`promptfoo eval -o out.json`) or
/// lm-evaluation-harness's results JSON (`lm_eval --output_path`).
public struct EvaluationImport: Sendable, Hashable {
    public var tool: String
    public var metric: String
    public var value: Double
    public var suite: String?
    public var details: [String: Double]

    /// A results file cairn cannot read, or that lacks the metric asked for (with the metrics it has).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The largest results file read (promptfoo keeps every output it graded).
    public static let largestFile = 64 << 20

    /// From promptfoo's output: `pass-rate` (successes over all test cases, from `results.stats`), or a named metric
    /// (the mean of `namedScores[metric]` over the results that have it); details count test cases and assertions.
    public static func promptfoo(_ bytes: [UInt8], metric: String) throws -> EvaluationImport {
        let root = try object(bytes, tool: "promptfoo")
        guard let results = root["results"] as? [String: Any], let stats = results["stats"] as? [String: Any] else {
            throw Failure(description: "not promptfoo output: no results.stats (write it with 'promptfoo eval -o results.json')")
        }
        let count = { (key: String) in (stats[key] as? NSNumber)?.doubleValue ?? 0 }
        let (successes, failures, errors) = (count("successes"), count("failures"), count("errors"))
        var details = ["successes": successes, "failures": failures, "errors": errors]
        let rows = results["results"] as? [[String: Any]] ?? []
        var named: [String: (sum: Double, count: Double)] = [:]
        var passed = 0.0, failed = 0.0
        for row in rows {
            for (name, score) in row["namedScores"] as? [String: Any] ?? [:] {
                guard let score = (score as? NSNumber)?.doubleValue else { continue }
                named[name, default: (0, 0)].sum += score
                named[name, default: (0, 0)].count += 1
            }
            for component in (row["gradingResult"] as? [String: Any])?["componentResults"] as? [[String: Any]] ?? [] {
                if (component["pass"] as? Bool) == true { passed += 1 } else { failed += 1 }
            }
        }
        details["assertionsPassed"] = passed
        details["assertionsFailed"] = failed
        let suite = (root["config"] as? [String: Any])?["description"] as? String
        let value: Double
        if metric == "pass-rate" {
            let total = successes + failures + errors
            guard total > 0 else { throw Failure(description: "the promptfoo output ran no test cases") }
            value = successes / total
        } else if let score = named[metric], score.count > 0 {
            value = score.sum / score.count
        } else {
            throw Failure(description: "the promptfoo output has no metric '\(metric)' (it has: \((["pass-rate"] + named.keys.sorted()).joined(separator: ", ")))")
        }
        return EvaluationImport(tool: "promptfoo", metric: metric, value: value, suite: suite, details: details)
    }

    /// From lm-evaluation-harness's results: `TASK/METRIC` (`hellaswag/acc_norm`), with the harness's filter after a
    /// comma (`gsm8k/exact_match,strict-match`; `none` when not given).
    public static func lmEvaluationHarness(_ bytes: [UInt8], metric: String) throws -> EvaluationImport {
        let root = try object(bytes, tool: "lm-evaluation-harness")
        guard let results = root["results"] as? [String: Any] else {
            throw Failure(description: "not lm-evaluation-harness results: no 'results' object")
        }
        guard let slash = metric.firstIndex(of: "/") else {
            throw Failure(description: "name the metric as TASK/METRIC (tasks: \(results.keys.sorted().joined(separator: ", ")))")
        }
        let task = String(metric[..<slash]), name = String(metric[metric.index(after: slash)...])
        guard let scores = results[task] as? [String: Any] else {
            throw Failure(description: "the results have no task '\(task)' (tasks: \(results.keys.sorted().joined(separator: ", ")))")
        }
        let keys = name.contains(",") ? [name] : [name + ",none", name]
        guard let value = keys.lazy.compactMap({ (scores[$0] as? NSNumber)?.doubleValue }).first else {
            let metrics = scores.keys.filter { !$0.contains("_stderr") && $0 != "alias" }.sorted()
            throw Failure(description: "task '\(task)' has no metric '\(name)' (it has: \(metrics.joined(separator: ", ")))")
        }
        var details: [String: Double] = [:]
        if let stderr = keys.lazy.compactMap({ key -> Double? in
            let parts = key.split(separator: ",", maxSplits: 1)
            let stderrKey = parts.count == 2 ? "\(parts[0])_stderr,\(parts[1])" : "\(key)_stderr"
            return (scores[stderrKey] as? NSNumber)?.doubleValue
        }).first { details["stderr"] = stderr }
        if let samples = (root["n-samples"] as? [String: Any])?[task] as? [String: Any], let effective = (samples["effective"] as? NSNumber)?.doubleValue {
            details["samples"] = effective
        }
        return EvaluationImport(tool: "lm-evaluation-harness", metric: metric, value: value, suite: task, details: details)
    }

    private static func object(_ bytes: [UInt8], tool: String) throws -> [String: Any] {
        guard bytes.count <= largestFile else { throw Failure(description: "the \(tool) results file is larger than \(largestFile >> 20) MiB") }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw Failure(description: "the \(tool) results file is not a JSON object")
        }
        return object
    }
}
