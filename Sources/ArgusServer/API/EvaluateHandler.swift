extension ArgusService {
    /// POST /evaluate: the batch mAP endpoint.
    func evaluate(_ request: HTTPRequest) throws -> HTTPResponse {
        throw APIError(status: 501, code: "not_implemented", "the COCO evaluator is not built into this server yet")
    }
}
