import JSON
import Platform
import Seeds
import Store
import SwiftProtobuf

/// `zitadel.settings.v2.SettingsService`: the settings a new ZITADEL instance reports (its
/// `cmd/defaults.yaml` and setup steps; docs/zitadel.md lists each value and where it comes from),
/// the instance's, whatever `ctx` names.
enum ZitadelSettingsAPI {
    /// What every settings RPC but GetSecuritySettings needs.
    static let permission = "policy.read"
    /// GetSecuritySettings' permission, as its proto documents it.
    static let securityPermission = "iam.policy.read"

    /// The languages ZITADEL's login has texts for, in its file-name order.
    static let supportedLanguages = [
        "ar", "bg", "ca", "cs", "da", "de", "en", "es", "fr", "hi", "hr", "hu", "id", "it", "ja", "kk", "ko", "lt",
        "mk",
        "nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sq", "sv", "th", "tr", "uk", "vi", "zh-TW", "zh",
    ]

    /// Runs `answer` for an authorized caller, with the instance's `details`.
    static func read<Response: SwiftProtobuf.Message>(
        _ call: ZitadelCall,
        permission: String = permission,
        _ answer: (_ details: Zitadel_Object_V2_Details, _ store: ZitadelSessionStore) throws(ZitadelError) -> Response
    ) throws(ZitadelError) -> MessageReply<Response> {
        try call.state.withSessions { store throws(ZitadelError) in
            _ = try ZitadelSessionLifecycle.authorize(call.authorization, store, permission: permission)
            return MessageReply(try answer(details(owner: store.instanceId ?? ""), store))
        }
    }

    static func details(owner: String) -> Zitadel_Object_V2_Details {
        .with {
            $0.sequence = 1
            $0.resourceOwner = owner
        }
    }

    /// Runs `answer` for an authorized caller with one settings object: `defaults` with the
    /// instance's, then the organization's, seeded object merged over it, and `details` naming
    /// whose it is.
    static func read<Request: ContextualSettingsRequest, Settings: OwnedSettings, Response: SwiftProtobuf.Message>(
        _ request: Request,
        _ call: ZitadelCall,
        key: String,
        defaults: Settings,
        _ answer: (_ details: Zitadel_Object_V2_Details, _ settings: Settings) -> Response
    ) throws(ZitadelError) -> MessageReply<Response> {
        try call.state.withSessions { store throws(ZitadelError) in
            let caller = try ZitadelSessionLifecycle.authorize(call.authorization, store, permission: permission)
            let organization = self.organization(request.ctx, caller: caller, store)
            var settings = defaults
            let own = organization?.settings.objects[key]
            settings.resourceOwnerType = own == nil ? .instance : .org
            settings = try merged(settings, [store.settings.objects[key], own].compactMap { $0 })
            let owner = own == nil ? store.instanceId ?? "" : organization?.id ?? ""
            return MessageReply(answer(details(owner: owner), settings))
        }
    }

    /// The seeded organization a read is for, as ZITADEL's `ResourceOwnerFromReq` picks it: none
    /// for `ctx.instance`, else `ctx.orgId`, else the caller's own organization.
    static func organization(
        _ ctx: Zitadel_Object_V2_RequestContext,
        caller: ZitadelToken,
        _ store: ZitadelSessionStore
    ) -> ZitadelOrganization? {
        let id: String
        switch ctx.resourceOwner {
        case .instance(true): return nil
        case .orgID(let orgId) where !orgId.isEmpty: id = orgId
        default:
            guard let own = store.user(id: caller.userId)?.organizationId, !own.isEmpty else { return nil }
            id = own
        }
        return store.organizations.first { $0.id == id }
    }

    /// `message` with each patch merged over its proto3 JSON (RFC 7396: a seeded field replaces
    /// the default, `null` clears it, nested objects merge).
    static func merged<Message: SwiftProtobuf.Message>(
        _ message: Message,
        _ patches: [JSONValue]
    ) throws(ZitadelError) -> Message {
        guard !patches.isEmpty else { return message }
        do {
            var json = try JSONParser.parse(message.jsonUTF8Bytes() as [UInt8])
            for patch in patches { json = json.mergePatched(with: patch) }
            return try Message(jsonUTF8Bytes: json.serialized)
        } catch {
            // Seeds were checked against the message at load, so only a bug lands here.
            throw .internalError
        }
    }

    /// The wire message of each `zitadel.settings` key.
    static let seedMessages: [String: any SwiftProtobuf.Message.Type] = [
        "login": Zitadel_Settings_V2_LoginSettings.self,
        "branding": Zitadel_Settings_V2_BrandingSettings.self,
        "passwordComplexity": Zitadel_Settings_V2_PasswordComplexitySettings.self,
        "passwordExpiry": Zitadel_Settings_V2_PasswordExpirySettings.self,
        "lockout": Zitadel_Settings_V2_LockoutSettings.self,
        "security": Zitadel_Settings_V2_SecuritySettings.self,
        "legalAndSupport": Zitadel_Settings_V2_LegalAndSupportSettings.self,
        "domain": Zitadel_Settings_V2_DomainSettings.self,
        "general": Zitadel_Settings_V2_GetGeneralSettingsResponse.self,
        ZitadelSettingsSeed.identityProvidersKey: Zitadel_Settings_V2_IdentityProvider.self,
    ]

    /// Why a seeded settings value is not its message's proto3 JSON (the seed vocabulary's check):
    /// where below the value, and why.
    @Sendable static func seedProblem(key: String, value: JSONValue) -> (suffix: String, reason: String)? {
        guard let message = seedMessages[key] else { return ("", "not a settings key") }
        let items: [(suffix: String, value: JSONValue)]
        if case .array(let list) = value {
            items = list.enumerated().map { ("[\($0.offset)]", $0.element) }
        } else {
            items = [("", value)]
        }
        for item in items {
            do {
                _ = try message.init(jsonUTF8Bytes: item.value.serialized)
            } catch JSONDecodingError.unknownField(let field) {
                return (item.suffix + "." + field, "unknown field of \(message.protoMessageName)")
            } catch {
                return (item.suffix, "not a \(message.protoMessageName) in proto3 JSON: \(error)")
            }
        }
        return nil
    }

    /// A boolean query parameter as ZITADEL's gateway reads it (Go's strconv.ParseBool).
    static func parseBool(_ text: String) -> Bool { ["1", "t", "T", "true", "TRUE", "True"].contains(text) }

    static func duration(hours: Int64) -> Google_Protobuf_Duration {
        Google_Protobuf_Duration(seconds: hours * 3600, nanos: 0)
    }

    /// The default organization: the seeded one marked `isDefault`, else the first seeded one; with
    /// none seeded, the first seeded user's organization, else the instance id.
    static func defaultOrganizationId(_ store: ZitadelSessionStore) -> String {
        if let seeded = store.organizations.first(where: \.isDefault) ?? store.organizations.first { return seeded.id }
        return store.allUsers.first { !$0.organizationId.isEmpty }?.organizationId ?? store.instanceId ?? ""
    }

    static func general(
        _: Zitadel_Settings_V2_GetGeneralSettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetGeneralSettingsResponse> {
        try read(call) { _, store throws(ZitadelError) in
            let defaults = Zitadel_Settings_V2_GetGeneralSettingsResponse.with {
                $0.defaultOrgID = defaultOrganizationId(store)
                $0.defaultOrganizationID = defaultOrganizationId(store)
                $0.defaultLanguage = "en"
                $0.supportedLanguages = supportedLanguages
            }
            return try merged(defaults, [store.settings.objects["general"]].compactMap { $0 })
        }
    }

    static let loginDefaults = Zitadel_Settings_V2_LoginSettings.with {
        $0.allowUsernamePassword = true
        $0.allowLocalAuthentication = true
        $0.allowRegister = true
        $0.allowExternalIdp = true
        $0.passkeysType = .allowed
        $0.passwordCheckLifetime = duration(hours: 240)
        $0.externalLoginCheckLifetime = duration(hours: 240)
        $0.mfaInitSkipLifetime = duration(hours: 720)
        $0.secondFactorCheckLifetime = duration(hours: 18)
        $0.multiFactorCheckLifetime = duration(hours: 12)
        $0.secondFactors = [.otp, .u2F]
        $0.multiFactors = [.u2FWithVerification]
        $0.allowDomainDiscovery = true
    }

    static func login(
        _ request: Zitadel_Settings_V2_GetLoginSettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetLoginSettingsResponse> {
        try read(request, call, key: "login", defaults: loginDefaults) { details, settings in
            .with {
                $0.details = details
                $0.settings = settings
            }
        }
    }

    /// The seeded identity providers (the organization's list, else the instance's; a new instance
    /// has none) that pass the request's filters.
    static func identityProviders(
        _ request: Zitadel_Settings_V2_GetActiveIdentityProvidersRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetActiveIdentityProvidersResponse> {
        try call.state.withSessions { store throws(ZitadelError) in
            let caller = try ZitadelSessionLifecycle.authorize(call.authorization, store, permission: permission)
            let key = ZitadelSettingsSeed.identityProvidersKey
            let seeded =
                organization(request.ctx, caller: caller, store)?.settings.objects[key] ?? store.settings.objects[key]
            guard case .array(let items)? = seeded else {
                return MessageReply(
                    .with {
                        $0.details = ZitadelSessionLifecycle.listDetails(total: 0, now: call.state.clock.nowMicros())
                    }
                )
            }
            var providers: [Zitadel_Settings_V2_IdentityProvider] = []
            for item in items {
                let provider = try merged(Zitadel_Settings_V2_IdentityProvider(), [item])
                let options = provider.options
                if request.hasCreationAllowed, options.isCreationAllowed != request.creationAllowed { continue }
                if request.hasLinkingAllowed, options.isLinkingAllowed != request.linkingAllowed { continue }
                if request.hasAutoCreation, options.isAutoCreation != request.autoCreation { continue }
                if request.hasAutoLinking, (options.autoLinking != .unspecified) != request.autoLinking { continue }
                providers.append(provider)
            }
            return MessageReply(
                .with {
                    $0.details = ZitadelSessionLifecycle.listDetails(
                        total: providers.count,
                        now: call.state.clock.nowMicros()
                    )
                    $0.identityProviders = providers
                }
            )
        }
    }

    static let passwordComplexityDefaults = Zitadel_Settings_V2_PasswordComplexitySettings.with {
        $0.minLength = 8
        $0.requiresUppercase = true
        $0.requiresLowercase = true
        $0.requiresNumber = true
        $0.requiresSymbol = true
    }

    static func passwordComplexity(
        _ request: Zitadel_Settings_V2_GetPasswordComplexitySettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetPasswordComplexitySettingsResponse> {
        try read(request, call, key: "passwordComplexity", defaults: passwordComplexityDefaults) { details, settings in
            .with {
                $0.details = details
                $0.settings = settings
            }
        }
    }

    static func passwordExpiry(
        _ request: Zitadel_Settings_V2_GetPasswordExpirySettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetPasswordExpirySettingsResponse> {
        try read(request, call, key: "passwordExpiry", defaults: Zitadel_Settings_V2_PasswordExpirySettings()) {
            details,
            settings in
            .with {
                $0.details = details
                $0.settings = settings
            }
        }
    }

    static let brandingDefaults = Zitadel_Settings_V2_BrandingSettings.with {
        $0.lightTheme = .with {
            $0.primaryColor = "#5469d4"
            $0.backgroundColor = "#fafafa"
            $0.warnColor = "#cd3d56"
            $0.fontColor = "#000000"
        }
        $0.darkTheme = .with {
            $0.primaryColor = "#2073c4"
            $0.backgroundColor = "#111827"
            $0.warnColor = "#ff3b5b"
            $0.fontColor = "#ffffff"
        }
        $0.themeMode = .auto
    }

    static func branding(
        _ request: Zitadel_Settings_V2_GetBrandingSettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetBrandingSettingsResponse> {
        try read(request, call, key: "branding", defaults: brandingDefaults) { details, settings in
            .with {
                $0.details = details
                $0.settings = settings
            }
        }
    }

    static func domain(
        _ request: Zitadel_Settings_V2_GetDomainSettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetDomainSettingsResponse> {
        try read(request, call, key: "domain", defaults: Zitadel_Settings_V2_DomainSettings()) { details, settings in
            .with {
                $0.details = details
                $0.settings = settings
            }
        }
    }

    static let legalAndSupportDefaults = Zitadel_Settings_V2_LegalAndSupportSettings.with {
        $0.docsLink = "https://zitadel.com/docs"
    }

    static func legalAndSupport(
        _ request: Zitadel_Settings_V2_GetLegalAndSupportSettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetLegalAndSupportSettingsResponse> {
        try read(request, call, key: "legalAndSupport", defaults: legalAndSupportDefaults) { details, settings in
            .with {
                $0.details = details
                $0.settings = settings
            }
        }
    }

    static func lockout(
        _ request: Zitadel_Settings_V2_GetLockoutSettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetLockoutSettingsResponse> {
        try read(request, call, key: "lockout", defaults: Zitadel_Settings_V2_LockoutSettings()) { details, settings in
            .with {
                $0.details = details
                $0.settings = settings
            }
        }
    }

    static func security(
        _: Zitadel_Settings_V2_GetSecuritySettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetSecuritySettingsResponse> {
        try read(call, permission: securityPermission) { _, store throws(ZitadelError) in
            let defaults = Zitadel_Settings_V2_SecuritySettings.with { $0.embeddedIframe = .init() }
            let settings = try merged(defaults, [store.settings.objects["security"]].compactMap { $0 })
            return .with { $0.settings = settings }
        }
    }
}

/// A settings request that names whose settings it reads (`ctx`).
protocol ContextualSettingsRequest: SwiftProtobuf.Message {
    var ctx: Zitadel_Object_V2_RequestContext { get set }
}

extension Zitadel_Settings_V2_GetLoginSettingsRequest: ContextualSettingsRequest {}
extension Zitadel_Settings_V2_GetActiveIdentityProvidersRequest: ContextualSettingsRequest {}
extension Zitadel_Settings_V2_GetPasswordComplexitySettingsRequest: ContextualSettingsRequest {}
extension Zitadel_Settings_V2_GetPasswordExpirySettingsRequest: ContextualSettingsRequest {}
extension Zitadel_Settings_V2_GetBrandingSettingsRequest: ContextualSettingsRequest {}
extension Zitadel_Settings_V2_GetDomainSettingsRequest: ContextualSettingsRequest {}
extension Zitadel_Settings_V2_GetLegalAndSupportSettingsRequest: ContextualSettingsRequest {}
extension Zitadel_Settings_V2_GetLockoutSettingsRequest: ContextualSettingsRequest {}

extension ZitadelRequestFields where Request: ContextualSettingsRequest {
    /// `ctx` from the REST query (`ctx.orgId`, `ctx.instance`), as ZITADEL's gateway binds it.
    static var context: Self {
        ZitadelRequestFields()
            .query(["ctx.orgId", "ctx.org_id"], set: { $0.ctx.orgID = $1 })
            .query(["ctx.instance"], set: { $0.ctx.instance = ZitadelSettingsAPI.parseBool($1) })
    }
}

/// A settings object that says whether the instance or an organization owns it.
protocol OwnedSettings: SwiftProtobuf.Message {
    var resourceOwnerType: Zitadel_Settings_V2_ResourceOwnerType { get set }
}

extension Zitadel_Settings_V2_LoginSettings: OwnedSettings {}
extension Zitadel_Settings_V2_PasswordComplexitySettings: OwnedSettings {}
extension Zitadel_Settings_V2_PasswordExpirySettings: OwnedSettings {}
extension Zitadel_Settings_V2_BrandingSettings: OwnedSettings {}
extension Zitadel_Settings_V2_DomainSettings: OwnedSettings {}
extension Zitadel_Settings_V2_LegalAndSupportSettings: OwnedSettings {}
extension Zitadel_Settings_V2_LockoutSettings: OwnedSettings {}
