import JSON
import MicroHTTP
import MockPipeline
import Platform
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials  // Data, as SwiftProtobuf's bytes fields want it
#else
import Foundation
#endif

/// The gRPC server's own services beside the vendor's, as gRPC tooling expects of any gRPC
/// server: `grpc.health.v1.Health` (Check, List, Watch) and server reflection (v1 and v1alpha),
/// over native gRPC. They answer for the whole server, not a scenario, and are not journaled.
package struct GRPCServices: Sendable {
    package static let healthService = "grpc.health.v1.Health"
    package static let reflectionServices = [
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
    ]

    /// Every service the server answers on native gRPC, in the order reflection lists them.
    let services: [String]
    let descriptors: DescriptorIndex

    /// `vendorServices`: the mocked services; `descriptorSets`: base64 FileDescriptorSets of
    /// every served proto (this module's own are added).
    package init(vendorServices: [String], descriptorSets: [String]) {
        services = vendorServices + [Self.healthService] + Self.reflectionServices
        descriptors = DescriptorIndex(base64Sets: descriptorSets + [GRPCServiceDescriptors.fileDescriptorSet])
    }

    /// Health.Check and Health.List; nil for any other request.
    package func unary(_ request: HTTPRequest) -> HTTPResponse? {
        guard GRPCFraming.isNativeGRPC(request) else { return nil }
        switch request.path {
        case "/grpc.health.v1.Health/Check":
            guard let message = Self.message(Grpc_Health_V1_HealthCheckRequest.self, in: request) else {
                return GRPCFraming.status(code: 3, message: "the request is not one HealthCheckRequest message")
            }
            guard message.service.isEmpty || services.contains(message.service) else {
                return GRPCFraming.status(code: 5, message: "unknown service \(message.service)")
            }
            return Self.answer(Grpc_Health_V1_HealthCheckResponse.with { $0.status = .serving })
        case "/grpc.health.v1.Health/List":
            guard Self.message(Grpc_Health_V1_HealthListRequest.self, in: request) != nil else {
                return GRPCFraming.status(code: 3, message: "the request is not one HealthListRequest message")
            }
            return Self.answer(
                Grpc_Health_V1_HealthListResponse.with { response in
                    for service in [""] + services { response.statuses[service] = .with { $0.status = .serving } }
                }
            )
        default:
            return nil
        }
    }

    /// Reflection and Health.Watch, answered as their messages arrive; nil for any other request.
    package func streamingCall(for request: HTTPRequest) -> (any HTTPStreamingCall)? {
        guard request.path.hasPrefix("/grpc."), GRPCFraming.isNativeGRPC(request) else { return nil }
        switch request.path {
        case "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo":
            return MessageStream(encoding: request.header("grpc-encoding")) { bytes in
                try reflect(Grpc_Reflection_V1_ServerReflectionRequest(serializedBytes: bytes)).serializedBytes()
            }
        case "/grpc.health.v1.Health/Watch":
            // The status now, then the stream stays open: nothing here ever changes it.
            return MessageStream(encoding: request.header("grpc-encoding"), keepsOpen: true) { bytes in
                let wanted = try Grpc_Health_V1_HealthCheckRequest(serializedBytes: bytes).service
                let known = wanted.isEmpty || services.contains(wanted)
                return try Grpc_Health_V1_HealthCheckResponse.with {
                    $0.status = known ? .serving : .serviceUnknown
                }
                .serializedBytes()
            }
        default:
            return nil
        }
    }

    /// One reflection request's answer. v1alpha's messages are v1's on the wire, so both
    /// versions are read and written as v1's.
    func reflect(_ request: Grpc_Reflection_V1_ServerReflectionRequest) -> Grpc_Reflection_V1_ServerReflectionResponse {
        var response = Grpc_Reflection_V1_ServerReflectionResponse()
        response.validHost = request.host
        response.originalRequest = request
        func files(_ names: [String]?, missing: String) {
            guard let names else {
                response.errorResponse = .with {
                    $0.errorCode = 5
                    $0.errorMessage = missing
                }
                return
            }
            response.fileDescriptorResponse = .with {
                $0.fileDescriptorProto = names.compactMap { descriptors.files[$0] }
            }
        }
        switch request.messageRequest {
        case .listServices?:
            response.listServicesResponse = .with { list in
                list.service = services.map { name in .with { $0.name = name } }
            }
        case .fileByFilename(let name)?:
            files(descriptors.withDependencies(name), missing: "file not found: \(name)")
        case .fileContainingSymbol(let symbol)?:
            files(
                descriptors.symbols[symbol].flatMap { descriptors.withDependencies($0) },
                missing: "symbol not found: \(symbol)"
            )
        case .fileContainingExtension(let wanted)?:
            files(nil, missing: "extension not found: \(wanted.containingType) \(wanted.extensionNumber)")
        case .allExtensionNumbersOfType(let type)?:
            if descriptors.symbols[type] != nil {
                response.allExtensionNumbersResponse = .with { $0.baseTypeName = type }
            } else {
                files(nil, missing: "type not found: \(type)")
            }
        case nil:
            response.errorResponse = .with {
                $0.errorCode = 3
                $0.errorMessage = "the request names no message_request"
            }
        }
        return response
    }

    /// The request's one message, or nil when the body is not one frame of that message.
    static func message<Message: SwiftProtobuf.Message>(_ type: Message.Type, in request: HTTPRequest) -> Message? {
        let (frames, consumed) = GRPCFraming.frames(in: request.body)
        guard frames.count == 1, consumed == request.body.count,
            let bytes = MessageStream.payload(frames[0], encoding: request.header("grpc-encoding"))
        else { return nil }
        return try? Message(serializedBytes: bytes)
    }

    static func answer(_ message: some SwiftProtobuf.Message) -> HTTPResponse {
        guard let bytes: [UInt8] = try? message.serializedBytes() else {
            return GRPCFraming.status(code: 13, message: "the answer could not be encoded")
        }
        return GRPCFraming.message(bytes)
    }
}

/// A stream of request messages, each answered by one message as it arrives.
final class MessageStream: HTTPStreamingCall {
    private let encoding: String?
    private let keepsOpen: Bool
    private let answer: ([UInt8]) throws -> [UInt8]
    private var buffer: [UInt8] = []
    /// Set once a message could not be read: the call ends with this status.
    private var failure: (code: Int, message: String)?

    init(encoding: String?, keepsOpen: Bool = false, answer: @escaping ([UInt8]) throws -> [UInt8]) {
        self.encoding = encoding
        self.keepsOpen = keepsOpen
        self.answer = answer
    }

    var headers: [HTTPField] { GRPCFraming.headers }

    func receive(_ bytes: [UInt8]) -> [UInt8] {
        guard failure == nil else { return [] }
        buffer += bytes
        let (frames, consumed) = GRPCFraming.frames(in: buffer)
        buffer.removeFirst(consumed)
        var out: [UInt8] = []
        for frame in frames {
            guard let payload = Self.payload(frame, encoding: encoding), let reply = try? answer(payload) else {
                failure = (3, "a request message could not be read")
                break
            }
            out += GRPCFraming.frame(0x00, reply)
        }
        if buffer.count > GRPCFraming.maxMessageBytes { failure = (8, "a request message is over 4 MiB") }
        return out
    }

    func finish() -> (bytes: [UInt8], trailers: [HTTPField])? {
        if let failure {
            return ([], GRPCFraming.statusFields(code: failure.code, message: failure.message, detailsBin: nil))
        }
        if !buffer.isEmpty {
            return (
                [], GRPCFraming.statusFields(code: 3, message: "the last request message is cut short", detailsBin: nil)
            )
        }
        return keepsOpen ? nil : ([], [HTTPField(name: "grpc-status", value: "0")])
    }

    /// A frame's message, gunzipped when its flag says compressed.
    static func payload(_ frame: (flags: UInt8, message: [UInt8]), encoding: String?) -> [UInt8]? {
        switch frame.flags {
        case 0: return frame.message
        case 1 where encoding?.lowercased() == "gzip":
            return try? Gzip.decompress(frame.message, maxBytes: GRPCFraming.maxMessageBytes).get()
        default: return nil
        }
    }
}

/// The served protos' file descriptors, by file name, and the file that defines each symbol
/// (services, methods, messages, enums, nested ones too), as reflection looks them up.
struct DescriptorIndex: Sendable {
    /// Each file's serialized FileDescriptorProto.
    var files: [String: Data] = [:]
    var dependencies: [String: [String]] = [:]
    var symbols: [String: String] = [:]

    init(base64Sets: [String]) {
        for text in base64Sets {
            let compact = String(text.filter { !$0.isWhitespace })
            guard let bytes = Base64Text.decode(compact),
                let set = try? Google_Protobuf_FileDescriptorSet(serializedBytes: bytes)
            else { continue }
            for file in set.file where files[file.name] == nil {
                files[file.name] = try? file.serializedData()
                dependencies[file.name] = file.dependency
                let prefix = file.package.isEmpty ? "" : file.package + "."
                for service in file.service {
                    symbols[prefix + service.name] = file.name
                    for method in service.method { symbols[prefix + service.name + "." + method.name] = file.name }
                }
                for message in file.messageType { index(message, prefix: prefix, file: file.name) }
                for type in file.enumType { symbols[prefix + type.name] = file.name }
            }
        }
    }

    private mutating func index(_ message: Google_Protobuf_DescriptorProto, prefix: String, file: String) {
        let name = prefix + message.name
        symbols[name] = file
        for nested in message.nestedType { index(nested, prefix: name + ".", file: file) }
        for type in message.enumType { symbols[name + "." + type.name] = file }
    }

    /// `name` first, then every file it imports, directly or not; nil for an unknown file.
    func withDependencies(_ name: String) -> [String]? {
        guard files[name] != nil else { return nil }
        var ordered: [String] = []
        var pending = [name]
        while let next = pending.first {
            pending.removeFirst()
            guard !ordered.contains(next), files[next] != nil else { continue }
            ordered.append(next)
            pending += dependencies[next] ?? []
        }
        return ordered
    }
}
