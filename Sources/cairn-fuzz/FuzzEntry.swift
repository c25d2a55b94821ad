import CairnFuzzTargets
import Foundation
#if CAIRN_FUZZ
import CLibFuzzer
#endif

#if CAIRN_FUZZ
/// libFuzzer's entry point (built by `make fuzz` with `-sanitize=fuzzer`); CAIRN_FUZZ_TARGET names the target.
private let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["CAIRN_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        fatalError("set CAIRN_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
}()

/// What libFuzzer calls with each input (whichever of its entry points the linker keeps).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// The entry point SwiftPM links this executable with (it renames `main` after the module).
@_cdecl("cairn_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
#else
/// Without the fuzzer: `cairn-fuzz TARGET FILE...` runs files through a target (to replay what a fuzzer found).
@main
struct FuzzReplay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: cairn-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE...")
            exit(2)
        }
        for file in arguments.dropFirst() {
            target.run([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))
            print("ok \(file)")
        }
    }
}
#endif
