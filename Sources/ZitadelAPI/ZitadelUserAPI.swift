import Platform
import Seeds
import Store

/// `zitadel.user.v2.UserService`: ListUsers, GetUserByID and ListAuthenticationMethodTypes over
/// the scenario copy's seeded users, each read as ZITADEL's human `User`.
enum ZitadelUserAPI {
    /// What the user RPCs need of the caller.
    static let permission = "user.read"

    static func getUserByID(
        _ request: Zitadel_User_V2_GetUserByIDRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_User_V2_GetUserByIDResponse> {
        try withUser(request.userID, in: "GetUserByIDRequest", call) { user, store in
            let message = self.user(user, lifecycle: store.lifecycle, store: store)
            return MessageReply(
                .with {
                    $0.details = message.details
                    $0.user = message
                }
            )
        }
    }

    static func listAuthenticationMethodTypes(
        _ request: Zitadel_User_V2_ListAuthenticationMethodTypesRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_User_V2_ListAuthenticationMethodTypesResponse> {
        try withUser(request.userID, in: "ListAuthenticationMethodTypesRequest", call) { user, _ in
            let types = methods(of: user)
            return MessageReply(
                .with {
                    $0.details = .with { $0.totalResult = UInt64(types.count) }
                    $0.authMethodTypes = types
                }
            )
        }
    }

    /// The user's authentication methods from its seed, in ZITADEL's enum order.
    static func methods(of user: ZitadelUser) -> [Zitadel_User_V2_AuthenticationMethodType] {
        var types: [Zitadel_User_V2_AuthenticationMethodType] = []
        if user.password != nil { types.append(.password) }
        if !user.passkeyIds.isEmpty { types.append(.passkey) }
        if !user.idpIntents.isEmpty { types.append(.idp) }
        if user.totpSecret != nil { types.append(.totp) }
        if user.otpSms { types.append(.otpSms) }
        if user.otpEmail { types.append(.otpEmail) }
        return types
    }

    static func listUsers(
        _ request: Zitadel_User_V2_ListUsersRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_User_V2_ListUsersResponse> {
        try call.state.withSessions { store throws(ZitadelError) in
            try authorize(call, store)
            var matches: [ZitadelUser] = []
            for user in candidates(request.queries, store) {
                var keep = true
                for query in request.queries where !(try self.matches(query, user, store.lifecycle)) {
                    keep = false
                    break
                }
                if keep { matches.append(user) }
            }
            if request.sortingColumn != .unspecified {
                let column = request.sortingColumn
                let ascending = request.query.asc
                matches = matches.enumerated()
                    .sorted { first, second in
                        let (a, b) = (sortKey(first.element, column), sortKey(second.element, column))
                        if a != b { return ascending ? a < b : a > b }
                        return first.offset < second.offset
                    }
                    .map(\.element)
            }
            let total = matches.count
            let page = request.query.page(of: matches)
            return MessageReply(
                .with {
                    $0.details = ZitadelSessionLifecycle.listDetails(total: total, now: call.state.clock.nowMicros())
                    $0.sortingColumn = request.sortingColumn
                    $0.result = page.map { user($0, lifecycle: store.lifecycle, store: store) }
                }
            )
        }
    }

    /// The users worth testing against `queries` (all of which must match): the one user of an
    /// equal-login-name query — what a login UI sends — found through the store's index instead of
    /// a scan of every user; else every user, in seed order.
    static func candidates(_ queries: [Zitadel_User_V2_SearchQuery], _ store: ZitadelSessionStore) -> [ZitadelUser] {
        for query in queries {
            guard case .loginNameQuery(let q)? = query.query, [.equals, .equalsIgnoreCase].contains(q.method) else {
                continue
            }
            return store.user(loginName: q.loginName).map { [$0] } ?? []
        }
        return store.allUsers
    }

    /// The rows of the RPCs that name one user: auth, the id's length, the permission, the user.
    static func withUser<Reply>(
        _ id: String,
        in message: String,
        _ call: ZitadelCall,
        _ answer: (ZitadelUser, ZitadelSessionStore) -> Reply
    ) throws(ZitadelError) -> Reply {
        try call.state.withSessions { store throws(ZitadelError) in
            try authorize(call, store)
            try validateUserId(id, in: message)
            guard let user = store.user(id: id) else { throw .userNotFound }
            return answer(user, store)
        }
    }

    /// The auth rows, then the permission the user RPCs need.
    static func authorize(_ call: ZitadelCall, _ store: ZitadelSessionStore) throws(ZitadelError) {
        _ = try ZitadelSessionLifecycle.authorize(call.authorization, store, permission: permission)
    }

    static func validateUserId(_ id: String, in message: String) throws(ZitadelError) {
        guard ZitadelSessionAPI.scalarCount(of: id, isIn: 1...200) else {
            throw .invalidArgument("invalid \(message).UserId: value length must be between 1 and 200 runes, inclusive")
        }
    }

    /// A seeded user as ZITADEL's `User`: a human, its login name its only (and preferred) one.
    static func user(
        _ user: ZitadelUser,
        lifecycle: ZitadelSessionStore.LifecycleState,
        store: ZitadelSessionStore
    ) -> Zitadel_User_V2_User {
        let state = userState(lifecycle.state(of: user))
        let username = user.username ?? user.loginName
        let organization = user.organizationId.isEmpty ? (store.instanceId ?? "") : user.organizationId
        return .with {
            $0.userID = user.userId
            $0.details = .with {
                $0.sequence = 1
                $0.resourceOwner = organization
            }
            $0.state = state
            $0.username = username
            $0.loginNames = [user.loginName]
            $0.preferredLoginName = user.loginName
            $0.human = .with {
                $0.userID = user.userId
                $0.state = state
                $0.username = username
                $0.loginNames = [user.loginName]
                $0.preferredLoginName = user.loginName
                $0.profile = .with {
                    $0.givenName = user.givenName
                    $0.familyName = user.familyName
                    if !user.displayName.isEmpty { $0.displayName = user.displayName }
                    if !user.preferredLanguage.isEmpty { $0.preferredLanguage = user.preferredLanguage }
                }
                $0.email = .with {
                    $0.email = user.email ?? ""
                    $0.isVerified = user.emailVerified
                }
                $0.phone = .with {
                    $0.phone = user.phone ?? ""
                    $0.isVerified = user.phoneVerified
                }
                $0.passwordChangeRequired = user.passwordChangeRequired
            }
        }
    }

    static func userState(_ state: ZitadelUser.State) -> Zitadel_User_V2_UserState {
        switch state {
        case .active: return .active
        case .inactive: return .inactive
        case .locked: return .locked
        case .initial: return .initial
        }
    }

    /// Whether `user` satisfies one search query (and/or/not nest).
    static func matches(
        _ query: Zitadel_User_V2_SearchQuery,
        _ user: ZitadelUser,
        _ lifecycle: ZitadelSessionStore.LifecycleState
    ) throws(ZitadelError) -> Bool {
        switch query.query {
        case .userNameQuery(let q)?: return text(user.username ?? user.loginName, q.userName, q.method)
        case .firstNameQuery(let q)?: return text(user.givenName, q.firstName, q.method)
        case .lastNameQuery(let q)?: return text(user.familyName, q.lastName, q.method)
        case .nickNameQuery(let q)?: return text("", q.nickName, q.method)
        case .displayNameQuery(let q)?: return text(user.displayName, q.displayName, q.method)
        case .emailQuery(let q)?: return text(user.email ?? "", q.emailAddress, q.method)
        case .phoneQuery(let q)?: return text(user.phone ?? "", q.number, q.method)
        // A login name matches case-insensitively, as a user check finds it.
        case .loginNameQuery(let q)?:
            return text(user.loginName, q.loginName, ignoringCase(q.method))
        case .stateQuery(let q)?: return userState(lifecycle.state(of: user)) == q.state
        case .typeQuery(let q)?: return q.type == .human
        case .inUserIdsQuery(let q)?: return q.userIds.contains(user.userId)
        case .inUserEmailsQuery(let q)?:
            return user.email.map { email in q.userEmails.contains { $0.lowercased() == email.lowercased() } } ?? false
        case .organizationIDQuery(let q)?: return user.organizationId == q.organizationID
        case .orQuery(let q)?:
            for sub in q.queries where try matches(sub, user, lifecycle) { return true }
            return false
        case .andQuery(let q)?:
            for sub in q.queries where !(try matches(sub, user, lifecycle)) { return false }
            return true
        case .notQuery(let q)?:
            return !(try matches(q.query, user, lifecycle))
        case .metadataKeyFilter?, .metadataValueFilter?:
            // Seeded users carry no metadata.
            return false
        case nil:
            throw .invalidArgument("invalid SearchQuery.Query: value is required")
        }
    }

    /// The case-insensitive form of a text method.
    static func ignoringCase(_ method: Zitadel_Object_V2_TextQueryMethod) -> Zitadel_Object_V2_TextQueryMethod {
        switch method {
        case .equals: return .equalsIgnoreCase
        case .startsWith: return .startsWithIgnoreCase
        case .contains: return .containsIgnoreCase
        case .endsWith: return .endsWithIgnoreCase
        default: return method
        }
    }

    /// ZITADEL's text query methods.
    static func text(_ value: String, _ wanted: String, _ method: Zitadel_Object_V2_TextQueryMethod) -> Bool {
        switch method {
        case .equals: return value == wanted
        case .equalsIgnoreCase: return value.lowercased() == wanted.lowercased()
        case .startsWith: return value.hasPrefix(wanted)
        case .startsWithIgnoreCase: return value.lowercased().hasPrefix(wanted.lowercased())
        case .contains: return wanted.isEmpty || value.contains(wanted)
        case .containsIgnoreCase: return wanted.isEmpty || value.lowercased().contains(wanted.lowercased())
        case .endsWith: return value.hasSuffix(wanted)
        case .endsWithIgnoreCase: return value.lowercased().hasSuffix(wanted.lowercased())
        case .UNRECOGNIZED: return false
        }
    }

    static func sortKey(_ user: ZitadelUser, _ column: Zitadel_User_V2_UserFieldName) -> String {
        switch column {
        case .userName: return user.username ?? user.loginName
        case .firstName: return user.givenName
        case .lastName: return user.familyName
        case .displayName: return user.displayName
        case .email: return user.email ?? ""
        case .state: return user.state.rawValue
        default: return ""
        }
    }
}
