// Where the lab goes: the configured region if it passes preflight, else one drawn among the passing
// regions — but never a move for a lab that is already deployed (that would replace it). Nothing is
// written here: preflight saves the region with the model once every check has passed.
import { drawRegion, type LabConfig, type LabRegion } from "../../stacks/config.ts";

export type RegionChoice = { region: LabRegion; moved: boolean } | { error: string; fix: string };

export function chooseRegion(config: LabConfig, passing: LabRegion[], deployed: boolean): RegionChoice {
  if (passing.includes(config.region)) return { region: config.region, moved: false };
  const others = passing.length ? `passing regions: ${passing.join(", ")}` : "no lab region passes";
  if (config.regionSource === "configured") {
    return {
      error: `the configured region ${config.region} fails preflight (${others})`,
      fix: passing.length ? `set LAB_REGION=${passing[0]}` : "see the failed checks",
    };
  }
  if (deployed) {
    return { error: `the lab is deployed in ${config.region}, which now fails preflight`, fix: "fix the failed checks, or `evallab down` first" };
  }
  if (passing.length === 0) return { error: "no lab region passes preflight", fix: "see the failed checks above" };
  return { region: drawRegion(passing), moved: config.regionSource !== "drawn" };
}
