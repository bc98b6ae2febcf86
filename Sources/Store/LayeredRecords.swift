/// Records by key, in listing order, as one scenario copy sees them: the seed's records (built once
/// and shared read-only by the live scenario, every reset and every `NAME@KEY` copy) under this
/// copy's own changes. So a reset or a new private copy of a 100,000-record seed costs nothing,
/// and a copy's memory grows only with what its tests change.
package struct LayeredRecords<Value: Sendable>: Sendable {
    /// The seed's records; never changed once built. Stored densely in seed order with a table of
    /// positions, not as a dictionary of records: a dictionary keeps a quarter to a half of its
    /// slots empty, and a slot of a struct record is the record's size (measured: 100,000 challenge
    /// records took 42 MB as a dictionary).
    package final class Base: Sendable {
        /// Position of each key in `keys` and `values`.
        let positions: [String: Int32]
        let keys: [String]
        let values: [Value]

        /// A key given twice keeps its first position and its last value.
        init(_ entries: some Sequence<(key: String, value: Value)>, count: Int) {
            var positions: [String: Int32] = [:]
            positions.reserveCapacity(count)
            var keys: [String] = []
            keys.reserveCapacity(count)
            var values: [Value] = []
            values.reserveCapacity(count)
            for (key, value) in entries {
                if let earlier = positions.updateValue(Int32(keys.count), forKey: key) {
                    positions[key] = earlier
                    values[Int(earlier)] = value
                } else {
                    keys.append(key)
                    values.append(value)
                }
            }
            self.positions = positions
            self.keys = keys
            self.values = values
        }

        subscript(key: String) -> Value? {
            positions[key].map { values[Int($0)] }
        }
    }

    private let base: Base
    /// This copy's changes: a value put, or nil for a record removed.
    private var changes: [String: Value?] = [:]
    /// Keys put while absent (new, or removed and put again), listed after the base's.
    private var appended: [String] = []
    private var appendedKeys: Set<String> = []
    /// `removeAll` was called: the base is hidden entirely.
    private var baseHidden = false
    private(set) var count: Int

    /// The seed's records in seed order; a key given twice keeps its first place and its last value.
    package init(_ entries: some Sequence<(key: String, value: Value)>, count: Int) {
        base = Base(entries, count: count)
        self.count = base.values.count
    }

    package subscript(key: String) -> Value? {
        // Most copies change nothing: skip hashing into an empty dictionary.
        if !changes.isEmpty, let change = changes[key] { return change }
        return baseHidden ? nil : base[key]
    }

    /// Adds or replaces; returns whether the key was present.
    @discardableResult
    package mutating func set(_ value: Value, for key: String) -> Bool {
        let present = self[key] != nil
        changes[key] = .some(value)
        if !present {
            count += 1
            if appendedKeys.insert(key).inserted { appended.append(key) }
        }
        return present
    }

    /// Replaces a record known to be present (one hash instead of two on the poll path).
    package mutating func replace(_ value: Value, for key: String) {
        changes[key] = .some(value)
    }

    @discardableResult
    package mutating func remove(_ key: String) -> Bool {
        guard self[key] != nil else { return false }
        changes[key] = .some(nil)
        count -= 1
        if appendedKeys.remove(key) != nil { appended.removeAll { $0 == key } }
        return true
    }

    package mutating func removeAll() {
        forgetChanges()
        baseHidden = true
        count = 0
    }

    /// Every record: the seed's in seed order, then those added here in the order added.
    package var all: [Value] {
        var result: [Value] = []
        result.reserveCapacity(count)
        if !baseHidden {
            for (position, key) in base.keys.enumerated() where !appendedKeys.contains(key) {
                if changes.isEmpty {
                    result.append(base.values[position])
                } else if let value = self[key] {
                    result.append(value)
                }
            }
        }
        for key in appended {
            if let value = self[key] { result.append(value) }
        }
        return result
    }

    /// This copy back to the seed's records.
    package mutating func revert() {
        forgetChanges()
        baseHidden = false
        count = base.values.count
    }

    private mutating func forgetChanges() {
        changes.removeAll()
        appended.removeAll()
        appendedKeys.removeAll()
    }
}

extension String {
    /// The same text in storage of its own. Records keep copies of the seed's strings: a shared
    /// string keeps its whole allocation alive, and a few live strings on every page of a freed
    /// 100k-record seed kept ~130 MB from being handed back to the system (measured).
    package var ownCopy: String {
        // Strings of up to 15 UTF-8 bytes are stored inline: nothing to copy.
        utf8.count <= 15 ? self : String(decoding: Array(utf8), as: UTF8.self)
    }
}
