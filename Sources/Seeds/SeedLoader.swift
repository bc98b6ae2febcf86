/// Reads seed files: one file is one scenario named after it; a folder is every `*.json` in it
/// (JSON Schema files, `*.schema.json`, are skipped). `load` reads them once, at start-up, and maps
/// a large one; `loadFile` alone (the watcher's reload, which runs while the file may be rewritten)
/// reads it unless told to map it (`SeedFiles.document`).
public enum SeedLoader {
    public static func load(path: String, vocabulary: SeedVocabulary) throws(SeedError) -> [String: SeedDocument] {
        guard let isDirectory = SeedFiles.isDirectory(path) else {
            throw SeedError(file: path, reason: "no such file or folder")
        }
        guard isDirectory else {
            let (name, seed) = try loadFile(path, vocabulary: vocabulary, mapping: true)
            return [name: seed]
        }
        let files: [String]
        switch SeedFiles.contentsOfDirectory(path) {
        case .success(let names):
            files = names.filter { $0.hasSuffix(".json") && !$0.hasSuffix(".schema.json") }.sorted()
        case .failure(let error):
            throw SeedError(file: path, reason: "cannot list folder: \(error)")
        }
        guard !files.isEmpty else { throw SeedError(file: path, reason: "folder holds no *.json seed files") }
        var seeds: [String: SeedDocument] = [:]
        var issues: [SeedIssue] = []
        for file in files {
            do {
                let (name, seed) = try loadFile(
                    SeedFiles.appendingPathComponent(path, file),
                    vocabulary: vocabulary,
                    mapping: true
                )
                seeds[name] = seed
            } catch {
                issues += error.issues
            }
        }
        if !issues.isEmpty { throw SeedError(issues: issues) }
        return seeds
    }

    public static func loadFile(
        _ path: String,
        vocabulary: SeedVocabulary,
        mapping: Bool = false
    ) throws(SeedError) -> (name: String, seed: SeedDocument) {
        guard let bytes = SeedFiles.document(path, mapping: mapping) else {
            throw SeedError(file: path, reason: "cannot read file")
        }
        let name = scenarioName(forFile: path)
        guard ScenarioName.isValid(name) else {
            throw SeedError(
                file: path,
                reason: "scenario name '\(name)' (from the file name) may use letters, digits, '-', '_' and '.' only"
            )
        }
        return (name, try SeedParser.parse(bytes, file: path, vocabulary: vocabulary))
    }

    public static func scenarioName(forFile path: String) -> String {
        let file = SeedFiles.lastPathComponent(path)
        return file.hasSuffix(".json") ? String(file.dropLast(5)) : file
    }

    /// The scenario compiled into the binary (`Seeds/default.json`), so the executable serves
    /// without any file next to it.
    public static func bundledDefault(vocabulary: SeedVocabulary) -> [String: SeedDocument] {
        do {
            return [
                "default": try SeedParser.parse(
                    Array(BundledSeeds.defaultJSON.utf8),
                    file: "bundled default.json",
                    vocabulary: vocabulary
                )
            ]
        } catch {
            fatalError("bundled default seed is invalid (Tests check this): \(error)")
        }
    }
}

/// What a scenario may be called: a seed file's name without `.json`, or a name given at run time.
public enum ScenarioName {
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 128
            && name.utf8.allSatisfy {
                ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95
                    || $0 == 46
            }
    }
}
