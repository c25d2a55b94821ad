import CairnRegistry
import Testing

@Suite("Cache record reading")
struct CacheReaderTests {
    /// A probe set one length field to 2^63-1: every command that read the file crashed (the bounds check overflowed).
    @Test("lengths near Int.max are refused as corrupt, not overflowed", arguments: [Int.max, Int.max - 3, -1, Int.min])
    func hugeLengths(length: Int) {
        var writer = CacheWriter()
        writer.int(length)
        writer.raw([1, 2, 3])
        var strings = CacheReader(bytes: writer.bytes)
        #expect(throws: CacheReader.Corrupt.self) { try strings.string() }
        var raw = CacheReader(bytes: writer.bytes, offset: 8)
        #expect(throws: CacheReader.Corrupt.self) { try raw.raw(length) }
        #expect(throws: CacheReader.Corrupt.self) { try raw.skip(length) }
        var records = CacheReader(bytes: [7] + writer.bytes)
        #expect(records.records { _, _ in true } == (count: 0, complete: false))
    }
}
