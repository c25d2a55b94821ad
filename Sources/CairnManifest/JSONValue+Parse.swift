import CairnModel
import Foundation

extension JSONValue {
    /// Parses JSON text; a failure says what is wrong in one line (not a `DecodingError` dump).
    public static func parse(json data: Data) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            let underlying = (context.underlyingError as NSError?).flatMap { $0.userInfo[NSDebugDescriptionErrorKey] as? String }
            throw InputFileError("not valid JSON" + (underlying.map { ": \($0)" } ?? (context.debugDescription.isEmpty ? "" : ": \(context.debugDescription)")))
        } catch {
            throw InputFileError("not valid JSON")
        }
    }
}
