extension JSONValue {
    /// RFC 7396 JSON Merge Patch: objects merge key by key, `null` removes, anything else replaces.
    public func mergePatched(with patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var members: [(key: String, value: JSONValue)]
        if case .object(let existing) = self { members = existing } else { members = [] }
        for (key, value) in patchMembers {
            let index = members.firstIndex { $0.key == key }
            if case .null = value {
                if let index { members.remove(at: index) }
            } else if let index {
                members[index].value = members[index].value.mergePatched(with: value)
            } else {
                members.append((key, JSONValue.null.mergePatched(with: value)))
            }
        }
        return .object(members)
    }
}
