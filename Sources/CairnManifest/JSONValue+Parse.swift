import CairnModel
import Foundation

extension JSONValue {
    /// Parses JSON text (test-suite cases, vars files); throws Foundation's error for malformed input.
    public static func parse(json data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }
}
