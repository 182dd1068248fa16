/** Who may do what: the three roles, each including the one below it. */
export type Role = "viewer" | "operator" | "admin";

export const roles: readonly Role[] = ["viewer", "operator", "admin"];

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && value in rank;
}

/** True when `have` includes everything `need` may do. */
export function roleCovers(have: Role, need: Role): boolean {
  return rank[have] >= rank[need];
}
