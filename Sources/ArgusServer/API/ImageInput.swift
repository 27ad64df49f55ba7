import ArgusImage
import ArgusJSON

/// One uploaded image before decoding.
public struct UploadedImage: Sendable {
    public var bytes: [UInt8]
    /// The media type the client declared for it (header or part Content-Type), lower-cased.
    public var declaredType: String?
}

/// The images and parameters of a /detect or /segment request, from any of the accepted body forms.
public struct ImageRequestBody: Sendable {
    public var images: [UploadedImage]
    public var parameters: Parameters

    /// Reads multipart/form-data (field `image`, repeatable), a raw image body, or JSON with base64.
    /// Query arguments come first; form fields and JSON members override them.
    public init(_ request: HTTPRequest, maxImages: Int) throws {
        self.maxImages = maxImages
        parameters = Parameters(request.query)
        images = []
        let contentType = request.header("content-type")
        if request.body.isEmpty {
            if request.header("content-length") == nil && request.header("transfer-encoding") == nil {
                throw APIError.lengthRequired()
            }
            throw APIError.badRequest("the request body is empty; send an image")
        }
        let media: MediaType
        if let contentType {
            guard let parsed = MediaType(contentType) else {
                throw APIError.unsupportedMediaType("malformed Content-Type '\(contentType)'")
            }
            media = parsed
        } else {
            media = MediaType("application/octet-stream")!
        }
        switch media.essence {
        case "multipart/form-data":
            try readMultipart(request.body, media: media)
        case "application/json":
            try readJSON(request.body)
        case "image/jpeg", "image/jpg", "image/png", "application/octet-stream":
            images = [UploadedImage(bytes: request.body, declaredType: media.essence == "application/octet-stream" ? nil : media.essence)]
        default:
            if media.essence.hasPrefix("image/") {
                throw APIError.unsupportedMediaType("\(media.essence) is not supported; send JPEG or PNG")
            }
            throw APIError.unsupportedMediaType(
                "Content-Type \(media.essence) is not accepted; use multipart/form-data, image/jpeg, image/png, application/octet-stream or application/json")
        }
    }

    private let maxImages: Int

    /// Checks the image count and that none is empty; call after the parameters are parsed, so a bad
    /// parameter is reported (400) before a limit (413).
    public func checkImageCount() throws {
        if images.isEmpty { throw APIError.badRequest("no image in the request (multipart field 'image', or JSON member 'image'/'images')") }
        if images.count > maxImages {
            throw APIError(status: 413, code: "too_many_images", "\(images.count) images in one request, over the limit of \(maxImages)")
        }
        if let empty = images.firstIndex(where: { $0.bytes.isEmpty }) {
            throw APIError.badRequest("image \(empty) is empty")
        }
    }

    private mutating func readMultipart(_ body: [UInt8], media: MediaType) throws {
        guard let boundary = media.parameters["boundary"], !boundary.isEmpty else {
            throw APIError.badRequest("multipart/form-data without a boundary parameter")
        }
        let parts: [MultipartPart]
        do { parts = try MultipartParser.parse(body, boundary: boundary) } catch let error as MultipartError {
            throw APIError.badRequest("malformed multipart body: \(error.description)")
        }
        for part in parts {
            if part.name == "image" || part.name == "images" {
                let declared = part.contentType.flatMap { MediaType($0)?.essence }
                images.append(UploadedImage(bytes: part.data, declaredType: declared == "application/octet-stream" ? nil : declared))
            } else if part.filename != nil {
                throw APIError.badRequest("unexpected file field '\(part.name)'; images go in the field 'image'")
            } else {
                guard let text = part.text else { throw APIError.invalidParameter("form field '\(part.name)' is not UTF-8 text") }
                parameters.set(part.name, text)
            }
        }
    }

    private mutating func readJSON(_ body: [UInt8]) throws {
        let document: JSONValue
        do { document = try JSONParser.parse(body) } catch let error as JSONParseError {
            throw APIError.badRequest("invalid JSON: \(error.description)")
        }
        guard case .object(let members) = document else {
            throw APIError.badRequest("the JSON body must be an object with 'image' or 'images'")
        }
        var encoded: [String] = []
        if let single = document["image"] {
            guard let s = single.stringValue else { throw APIError.badRequest("'image' must be a base64 string") }
            encoded.append(s)
        }
        if let many = document["images"] {
            guard let list = many.arrayValue else { throw APIError.badRequest("'images' must be an array of base64 strings") }
            for item in list {
                guard let s = item.stringValue else { throw APIError.badRequest("'images' must be an array of base64 strings") }
                encoded.append(s)
            }
        }
        for (index, text) in encoded.enumerated() {
            guard let bytes = Base64.decodeImage(text) else {
                throw APIError.badRequest("image \(index) is not valid base64")
            }
            images.append(UploadedImage(bytes: bytes, declaredType: nil))
        }
        try parameters.merge(jsonMembers: members, skipping: ["image", "images"])
    }

    /// Checks format and pixel count from each header (after `checkImageCount`), before any decoding (413 / 415 / 422).
    public func checkHeaders(maxPixels: Int) throws {
        try Self.checkHeaders(images, maxPixels: maxPixels)
    }

    static func checkHeaders(_ images: [UploadedImage], maxPixels: Int) throws {
        for (index, image) in images.enumerated() {
            do {
                let header = try readImageHeader(image.bytes)
                if header.storedWidth * header.storedHeight > maxPixels {
                    throw ImageError.tooLarge(width: header.width, height: header.height, limit: maxPixels)
                }
            } catch ImageError.unsupportedFormat where image.declaredType != nil {
                throw APIError.undecodableImage("image \(index): declared \(image.declaredType!) but the bytes are neither JPEG nor PNG")
            } catch {
                throw APIError.from(error, imageIndex: images.count > 1 ? index : nil)
            }
        }
    }
}
