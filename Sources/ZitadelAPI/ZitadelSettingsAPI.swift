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
        _ answer: (_ details: Zitadel_Object_V2_Details, _ store: ZitadelSessionStore) -> Response
    ) throws(ZitadelError) -> MessageReply<Response> {
        try call.state.withSessions { store throws(ZitadelError) in
            _ = try ZitadelSessionLifecycle.authorize(call.authorization, store, permission: permission)
            let details = Zitadel_Object_V2_Details.with {
                $0.sequence = 1
                $0.resourceOwner = store.instanceId ?? ""
            }
            return MessageReply(answer(details, store))
        }
    }

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
        try read(call) { _, store in
            .with {
                $0.defaultOrgID = defaultOrganizationId(store)
                $0.defaultOrganizationID = defaultOrganizationId(store)
                $0.defaultLanguage = "en"
                $0.supportedLanguages = supportedLanguages
            }
        }
    }

    static func login(
        _: Zitadel_Settings_V2_GetLoginSettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetLoginSettingsResponse> {
        try read(call) { details, _ in
            .with {
                $0.details = details
                $0.settings = .with {
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
                    $0.resourceOwnerType = .instance
                }
            }
        }
    }

    static func identityProviders(
        _: Zitadel_Settings_V2_GetActiveIdentityProvidersRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetActiveIdentityProvidersResponse> {
        try read(call) { _, _ in
            .with { $0.details = ZitadelSessionLifecycle.listDetails(total: 0) }
        }
    }

    static func passwordComplexity(
        _: Zitadel_Settings_V2_GetPasswordComplexitySettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetPasswordComplexitySettingsResponse> {
        try read(call) { details, _ in
            .with {
                $0.details = details
                $0.settings = .with {
                    $0.minLength = 8
                    $0.requiresUppercase = true
                    $0.requiresLowercase = true
                    $0.requiresNumber = true
                    $0.requiresSymbol = true
                    $0.resourceOwnerType = .instance
                }
            }
        }
    }

    static func passwordExpiry(
        _: Zitadel_Settings_V2_GetPasswordExpirySettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetPasswordExpirySettingsResponse> {
        try read(call) { details, _ in
            .with {
                $0.details = details
                $0.settings = .with { $0.resourceOwnerType = .instance }
            }
        }
    }

    static func branding(
        _: Zitadel_Settings_V2_GetBrandingSettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetBrandingSettingsResponse> {
        try read(call) { details, _ in
            .with {
                $0.details = details
                $0.settings = .with {
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
                    $0.resourceOwnerType = .instance
                    $0.themeMode = .auto
                }
            }
        }
    }

    static func domain(
        _: Zitadel_Settings_V2_GetDomainSettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetDomainSettingsResponse> {
        try read(call) { details, _ in
            .with {
                $0.details = details
                $0.settings = .with { $0.resourceOwnerType = .instance }
            }
        }
    }

    static func legalAndSupport(
        _: Zitadel_Settings_V2_GetLegalAndSupportSettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetLegalAndSupportSettingsResponse> {
        try read(call) { details, _ in
            .with {
                $0.details = details
                $0.settings = .with {
                    $0.resourceOwnerType = .instance
                    $0.docsLink = "https://zitadel.com/docs"
                }
            }
        }
    }

    static func lockout(
        _: Zitadel_Settings_V2_GetLockoutSettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetLockoutSettingsResponse> {
        try read(call) { details, _ in
            .with {
                $0.details = details
                $0.settings = .with { $0.resourceOwnerType = .instance }
            }
        }
    }

    static func security(
        _: Zitadel_Settings_V2_GetSecuritySettingsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Settings_V2_GetSecuritySettingsResponse> {
        try read(call, permission: securityPermission) { _, _ in
            .with { $0.settings = .with { $0.embeddedIframe = .init() } }
        }
    }
}
