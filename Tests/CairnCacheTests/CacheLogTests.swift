@testable import CairnRegistry
import Foundation
import Testing

@Suite("The cache log")
struct CacheLogTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-cache-log-\(UUID().uuidString)")
    var url: URL { folder.appendingPathComponent("log") }

    func store(_ log: CacheLog) -> CacheStore<String, String> {
        CacheStore(log: log, namespace: "s")
    }

    /// Writes `count` entries in two saves (a whole file, then an append), and returns the file's bytes.
    func written(_ count: Int) -> [UInt8] {
        let first = store(CacheLog(url: url, format: "test", fingerprint: "f"))
        for index in 0..<count / 2 { first["key\(index)"] = "value \(index) " + String(repeating: "x", count: index % 13) }
        first.log.save()
        let second = store(CacheLog(url: url, format: "test", fingerprint: "f"))
        for index in count / 2..<count { second["key\(index)"] = "value \(index) " + String(repeating: "x", count: index % 13) }
        second["key0"] = nil
        second.log.save()
        return Array(try! Data(contentsOf: url))
    }

    func expected(_ index: Int) -> String? { index == 0 ? nil : "value \(index) " + String(repeating: "x", count: index % 13) }

    @Test("values written in two saves read back; a removal stays removed")
    func roundTrip() throws {
        _ = written(40)
        let reread = store(CacheLog(url: url, format: "test", fingerprint: "f"))
        for index in 0..<40 { #expect(reread["key\(index)"] == expected(index)) }
        #expect(store(CacheLog(url: url, format: "test", fingerprint: "other"))["key1"] == nil)
        #expect(store(CacheLog(url: url, format: "other", fingerprint: "f"))["key1"] == nil)
        try? FileManager.default.removeItem(at: folder)
    }

    @Test("a batch lookup (decoded on several threads) answers as one lookup per key, and drops a value that does not decode")
    func batch() throws {
        _ = written(600)
        let log = CacheLog(url: url, format: "test", fingerprint: "f")
        let strings = store(log)
        strings["added"] = "this run's"
        // Same namespace and key encoding, a value a string's codec cannot read (one byte): absent, and removed.
        CacheStore<String, UInt8>(log: log, namespace: "s")["broken"] = 1
        let keys = (0..<600).map { "key\($0)" } + ["added", "missing", "broken"]
        let values = strings.values(keys)
        #expect(values == (0..<600).map(expected) + ["this run's", nil, nil])
        #expect(log.value(strings.key("broken")) == nil)
        try? FileManager.default.removeItem(at: folder)
    }

    /// A damaged file reads as it was at an earlier save: key0's removal may be lost with the records after it.
    @Test("every single flipped bit and every truncation leaves each value right, absent or as an earlier save left it")
    func damage() throws {
        let bytes = written(12)
        var absent = 0
        func check(_ damaged: [UInt8]) throws {
            try Data(damaged).write(to: url)
            let log = store(CacheLog(url: url, format: "test", fingerprint: "f"))
            for index in 0..<12 {
                let value = log["key\(index)"]
                if value == nil { absent += 1 } else if index == 0 { #expect(value == "value 0 ") } else { #expect(value == expected(index)) }
            }
        }
        for bit in 0..<bytes.count * 8 {
            var damaged = bytes
            damaged[bit / 8] ^= 1 << UInt8(bit % 8)
            try check(damaged)
        }
        for length in 0..<bytes.count { try check(Array(bytes[..<length])) }
        #expect(absent > 0)
        try? FileManager.default.removeItem(at: folder)
    }

    @Test("a length field near Int.max or UInt32.max is refused, not overflowed", arguments: [UInt8(0xff), 0x7f])
    func hugeLength(top: UInt8) throws {
        var bytes = written(4)
        // The first record's length field follows the header (magic, then a record of 24 bytes and its length's).
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let record = 8 + 24 + headerLength
        for offset in record..<record + 4 { bytes[offset] = 0xff }
        bytes[record + 3] = top
        try Data(bytes).write(to: url)
        let log = store(CacheLog(url: url, format: "test", fingerprint: "f"))
        #expect(log["key1"] == nil)
        log["key1"] = "again"
        log.log.save()
        #expect(store(CacheLog(url: url, format: "test", fingerprint: "f"))["key1"] == "again")
        try? FileManager.default.removeItem(at: folder)
    }

    @Test("a value that fails its checksum reads as damaged (a store that must tell throws), not as absent")
    func damagedValue() throws {
        let log = store(CacheLog(url: url, format: "test", fingerprint: "f"))
        log["key"] = "a value long enough"
        log.log.save()
        var bytes = Array(try Data(contentsOf: url))
        bytes[bytes.count - 1] ^= 0x01  // the value's last byte: its key and lengths still check
        try Data(bytes).write(to: url)
        let damaged = store(CacheLog(url: url, format: "test", fingerprint: "f"))
        #expect(throws: CacheReader.Corrupt.self) { try damaged.decoded("key") }
        #expect(damaged["key"] == nil)
        try? FileManager.default.removeItem(at: folder)
    }

    @Test("a file mostly of records no run uses is written again with the used ones only")
    func compaction() throws {
        let big = store(CacheLog(url: url, format: "test", fingerprint: "f"))
        for index in 0..<4000 { big["key\(index)"] = String(repeating: "v", count: 100) }
        big.log.save()
        let size = try Data(contentsOf: url).count
        let few = store(CacheLog(url: url, format: "test", fingerprint: "f"))
        for index in 0..<10 { _ = few["key\(index)"] }
        few["new"] = "n"
        few.log.save()
        #expect(try Data(contentsOf: url).count < size / 10)
        let after = store(CacheLog(url: url, format: "test", fingerprint: "f"))
        #expect(after["key3"] == String(repeating: "v", count: 100))
        #expect(after["new"] == "n")
        #expect(after["key3999"] == nil)
        try? FileManager.default.removeItem(at: folder)
    }

    @Test("a run that asks nothing of a file leaves it as it is when it saves")
    func untouched() throws {
        let big = store(CacheLog(url: url, format: "test", fingerprint: "f"))
        for index in 0..<4000 { big["key\(index)"] = String(repeating: "v", count: 100) }
        big.log.save()
        let before = try Data(contentsOf: url)
        let idle = CacheLog(url: url, format: "test", fingerprint: "f")
        idle.save()
        #expect(!idle.wasRead)
        #expect(try Data(contentsOf: url) == before)
        try? FileManager.default.removeItem(at: folder)
    }

    @Test("the generic codecs read back what they wrote, and refuse a value cut short or followed by more")
    func codecs() throws {
        func roundTrip<Value: CacheCodable & Equatable>(_ value: Value) throws {
            var out = CacheWriter()
            out.put(value)
            var reader = CacheReader(bytes: out.bytes)
            #expect(try reader.whole(Value.self) == value)
            var short = CacheReader(bytes: Array(out.bytes.dropLast()))
            #expect(throws: CacheReader.Corrupt.self) { try short.whole(Value.self) }
            var long = CacheReader(bytes: out.bytes + [0])
            #expect(throws: CacheReader.Corrupt.self) { try long.whole(Value.self) }
        }
        try roundTrip(Optional(3))
        try roundTrip(Int?.none)
        try roundTrip(Optional(Optional("nested")))
        try roundTrip([true, false])
        try roundTrip(Set(["b", "a", "c"]))
        try roundTrip([[UInt64.max], []])
        try roundTrip([Int64.min])
        // Sets are written in order: equal sets are equal bytes.
        var first = CacheWriter(), second = CacheWriter()
        first.put(Set((0..<100).map { "v\($0)" }))
        second.put(Set((0..<100).reversed().map { "v\($0)" }))
        #expect(first.bytes == second.bytes)
    }
}
