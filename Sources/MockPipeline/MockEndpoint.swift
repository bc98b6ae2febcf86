import MicroHTTP
import Seeds
import Store

/// One mocked endpoint as its API module declares it: a name, and a route per transport that
/// serves it. The app's route table, `session-mock routes`, the OpenAPI and fuzz-dictionary
/// checks all read these declarations; nothing else lists an endpoint.
package struct MockEndpoint: Sendable {
    package var api: MockedAPI
    /// WalletKit: the vendor OpenAPI's operation id; ZITADEL: `Service/Method`.
    package var name: String
    /// The operation id in the vendor's own spec (for the conformance run).
    package var vendorOperationId: String
    /// The fault-rule keys it fills besides method, path, query and headers (`rpc`, `code`, …).
    package var faultKeys: [String]
    /// The permission the vendor checks on the caller, where it names one.
    package var permission: String?
    package var routes: [MockRoute]

    package init(
        api: MockedAPI,
        name: String,
        vendorOperationId: String,
        faultKeys: [String],
        permission: String?,
        routes: [MockRoute]
    ) {
        self.api = api
        self.name = name
        self.vendorOperationId = vendorOperationId
        self.faultKeys = faultKeys
        self.permission = permission
        self.routes = routes
    }
}

/// One method and path of an endpoint, on one transport.
package struct MockRoute: Sendable {
    package typealias Serve = @Sendable (HTTPRequest, MockRequestPipeline) -> (HTTPResponse, scenario: String?)

    package var method: String
    /// The router's pattern: `/`-separated, `:name` for a path parameter.
    package var pattern: String
    /// `rest`, or `rpc` (Connect and gRPC-Web on one path, told apart by `Content-Type`).
    package var transport: Transport
    /// How the router answers refusals on this route (404, 405, 413, …).
    package var errors: any ErrorShape
    /// Whether the endpoint's first row asks for credentials (the OAuth redirect does not).
    package var requiresCredentials: Bool
    package var serve: Serve

    package enum Transport: String, Sendable {
        case rest
        case rpc
    }

    package init(
        method: String,
        pattern: String,
        transport: Transport,
        errors: any ErrorShape,
        requiresCredentials: Bool = true,
        serve: @escaping Serve
    ) {
        self.method = method
        self.pattern = pattern
        self.transport = transport
        self.errors = errors
        self.requiresCredentials = requiresCredentials
        self.serve = serve
    }

    /// The pattern as OpenAPI writes a path: `{name}` for `:name`.
    package var openAPIPath: String {
        pattern.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            .joined(separator: "/")
    }
}
