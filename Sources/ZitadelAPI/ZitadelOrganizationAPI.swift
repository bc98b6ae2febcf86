import Platform
import Store

/// `zitadel.org.v2.OrganizationService`: ListOrganizations over the seeded organizations, or the
/// default one a new ZITADEL instance makes at setup.
enum ZitadelOrganizationAPI {
    static let permission = "org.read"

    /// The instance's organizations: the seeded ones, else the default one a new ZITADEL makes
    /// (`DefaultInstance.Org.Name` in its `cmd/defaults.yaml`), its domain as ZITADEL derives it for
    /// the external domain `localhost`.
    static func organizations(_ store: ZitadelSessionStore) -> [(message: Zitadel_Org_V2_Organization, isDefault: Bool)]
    {
        let details = Zitadel_Object_V2_Details.with {
            $0.sequence = 1
            $0.resourceOwner = store.instanceId ?? ""
        }
        guard !store.organizations.isEmpty else {
            let organization = Zitadel_Org_V2_Organization.with {
                $0.id = ZitadelSettingsAPI.defaultOrganizationId(store)
                $0.details = details
                $0.state = .active
                $0.name = "ZITADEL"
                $0.primaryDomain = "zitadel.localhost"
            }
            return [(organization, true)]
        }
        let defaultId = ZitadelSettingsAPI.defaultOrganizationId(store)
        return store.organizations.map { seeded in
            let message = Zitadel_Org_V2_Organization.with {
                $0.id = seeded.id
                $0.details = details
                $0.state = seeded.state == .active ? .active : .inactive
                $0.name = seeded.name
                $0.primaryDomain = seeded.primaryDomain
            }
            return (message, seeded.id == defaultId)
        }
    }

    static func listOrganizations(
        _ request: Zitadel_Org_V2_ListOrganizationsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Org_V2_ListOrganizationsResponse> {
        try call.state.withSessions { store throws(ZitadelError) in
            _ = try ZitadelSessionLifecycle.authorize(call.authorization, store, permission: permission)
            var matches: [Zitadel_Org_V2_Organization] = []
            for (organization, isDefault) in organizations(store) {
                var keep = true
                for query in request.queries {
                    switch query.query {
                    case .nameQuery(let q)?: keep = keep && ZitadelUserAPI.text(organization.name, q.name, q.method)
                    case .domainQuery(let q)?:
                        keep = keep && ZitadelUserAPI.text(organization.primaryDomain, q.domain, q.method)
                    case .stateQuery(let q)?: keep = keep && organization.state == q.state
                    case .idQuery(let q)?: keep = keep && organization.id == q.id
                    case .defaultQuery?: keep = keep && isDefault
                    case nil: throw .invalidArgument("invalid SearchQuery.Query: value is required")
                    }
                }
                if keep { matches.append(organization) }
            }
            let total = matches.count
            let page = request.query.page(of: matches)
            return MessageReply(
                .with {
                    $0.details = ZitadelSessionLifecycle.listDetails(total: total, now: call.state.clock.nowMicros())
                    $0.sortingColumn = request.sortingColumn
                    $0.result = page
                }
            )
        }
    }
}
