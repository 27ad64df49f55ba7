import ArgusJSON

/// The OpenAPI document served at /openapi.json: the repository's openapi.json, byte for byte.
/// Sources/ArgusServer/openapi.json is a symlink to it, and Package.swift embeds it with `.embedInCode`,
/// so the binary needs no resource bundle.
public enum OpenAPIDocument {
    /// The document's bytes (UTF-8 JSON).
    public static var bytes: [UInt8] { PackageResources.openapi_json }

    /// The API's version (`info.version`), which the inference protocol's server metadata reports too.
    public static let version: String = (try? JSONParser.parse(bytes))?["info"]?["version"]?.stringValue ?? "unknown"
}
