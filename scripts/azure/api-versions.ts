// The ARM api-versions the lab uses, one place (each a real, current version of its resource provider).
export const API = {
  subscriptions: "2022-12-01",
  providers: "2021-04-01",
  resourceGroups: "2021-04-01",
  cognitive: "2025-06-01",
  computeUsages: "2024-07-01",
  computeSkus: "2021-07-01",
} as const;
