import ArgusJSON
import ArgusModels

/// A classification result's JSON: `"classes": [{"class_id", "label", "score"}]`, best first (argus classify and
/// POST /classify).
public enum ClassificationJSON {
    public static func classes(_ output: ClassificationOutput) -> JSONValue {
        .array(output.classes.map {
            .object([("class_id", .number(Double($0.classId))), ("label", .string($0.label)), ("score", .float($0.score))])
        })
    }
}
