/// `torch.save`'s zip layout (torch >= 1.6): `<folder>/data.pkl` (the pickled object),
/// `<folder>/data/<key>` (one raw storage per key), `<folder>/byteorder`, `<folder>/version`.
/// The folder is usually `archive` but torch names it after the file, so it is read from
/// the path of data.pkl.
struct TorchZipFormat {
    let root: PickleValue
    let storages: [String: ArraySlice<UInt8>]
    let bigEndian: Bool

    init(bytes: ArraySlice<UInt8>) throws {
        let zip = try ZipArchive(bytes: bytes)
        let pickles = zip.entries.filter { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }
        guard let pickleEntry = pickles.min(by: { $0.name.count < $1.name.count }) else {
            if zip.entry(named: "constants.pkl") != nil || zip.entries.contains(where: { $0.name.hasSuffix("/constants.pkl") }) {
                throw WeightsError.unsupported("TorchScript archive without data.pkl")
            }
            throw WeightsError.notACheckpoint("zip archive without a data.pkl")
        }
        let folder = String(pickleEntry.name.dropLast("data.pkl".count))   // "archive/" or ""

        if let entry = zip.entry(named: folder + "byteorder") {
            let text = String(decoding: try zip.data(of: entry), as: UTF8.self)
            switch text.trimmedWhitespace() {
            case "little": bigEndian = false
            case "big": bigEndian = true
            default: throw WeightsError.corrupt("byteorder entry says \"\(text.prefix(20))\"")
            }
        } else {
            bigEndian = false   // writers before torch 1.x byteorder records were little-endian
        }

        root = try Unpickler.load(try zip.data(of: pickleEntry))

        let dataPrefix = folder + "data/"
        var storages: [String: ArraySlice<UInt8>] = [:]
        for entry in zip.entries where entry.name.hasPrefix(dataPrefix) && entry.name.count > dataPrefix.count {
            let key = String(entry.name.dropFirst(dataPrefix.count))
            guard !key.contains("/"), storages[key] == nil else { continue }
            storages[key] = try zip.data(of: entry)
        }
        self.storages = storages
    }
}

private extension String {
    func trimmedWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
