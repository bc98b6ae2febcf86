import Platform
import Store

/// `zitadel.org.v2.OrganizationService`: ListOrganizations over the instance's one organization,
/// the default one a new ZITADEL instance makes at setup.
enum ZitadelOrganizationAPI {
    static let permission = "org.read"

    /// ZITADEL's default organization (`DefaultInstance.Org.Name` in its `cmd/defaults.yaml`), its
    /// domain as ZITADEL derives it for the external domain `localhost`.
    static func defaultOrganization(_ store: ZitadelSessionStore) -> Zitadel_Org_V2_Organization {
        let id = ZitadelSettingsAPI.defaultOrganizationId(store)
        return .with {
            $0.id = id
            $0.details = .with {
                $0.sequence = 1
                $0.resourceOwner = store.instanceId ?? ""
            }
            $0.state = .active
            $0.name = "ZITADEL"
            $0.primaryDomain = "zitadel.localhost"
        }
    }

    static func listOrganizations(
        _ request: Zitadel_Org_V2_ListOrganizationsRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Org_V2_ListOrganizationsResponse> {
        try call.state.withSessions { store throws(ZitadelError) in
            let caller = try ZitadelSessionLifecycle.authenticate(call.authorization, store)
            guard caller.permissions.contains(permission) else { throw .noPermission }
            let organization = defaultOrganization(store)
            var matches = [organization]
            for query in request.queries {
                let keep: Bool
                switch query.query {
                case .nameQuery(let q)?: keep = ZitadelUserAPI.text(organization.name, q.name, q.method)
                case .domainQuery(let q)?: keep = ZitadelUserAPI.text(organization.primaryDomain, q.domain, q.method)
                case .stateQuery(let q)?: keep = organization.state == q.state
                case .idQuery(let q)?: keep = organization.id == q.id
                case .defaultQuery?: keep = true
                case nil: throw .invalidArgument("invalid SearchQuery.Query: value is required")
                }
                if !keep { matches = [] }
            }
            let total = matches.count
            let page = request.query.page(of: matches)
            return MessageReply(
                .with {
                    $0.details = .with {
                        $0.totalResult = UInt64(total)
                        $0.timestamp = ZitadelSessionLifecycle.timestamp(WallClock.nowMicros())
                    }
                    $0.sortingColumn = request.sortingColumn
                    $0.result = page
                }
            )
        }
    }
}
