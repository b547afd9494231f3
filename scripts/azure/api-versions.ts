// The ARM api-versions the lab uses, one place (each a real, current version of its resource provider).
// Resource groups and Cognitive Services come from the teardown workflow, which calls the same APIs.
import { API as WORKFLOW_API } from "../../stacks/teardown/workflow.ts";

export const API = {
  subscriptions: "2022-12-01",
  providers: "2021-04-01",
  resourceGroups: WORKFLOW_API.resourceGroups,
  cognitive: WORKFLOW_API.cognitive,
  computeUsages: "2024-07-01",
  computeSkus: "2021-07-01",
  authorization: "2022-04-01",
  tags: "2021-04-01",
  resources: "2021-04-01",
  logic: "2019-05-01",
} as const;
