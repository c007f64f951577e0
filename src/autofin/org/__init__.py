"""Organisation and sign-in (组织架构与登录): departments, positions, users, roles, data scopes, sessions."""
