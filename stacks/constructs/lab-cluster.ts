// The lab's single-user Databricks cluster on the latest CPU ML runtime, with PyPI libraries: a single
// node by default, or workers (fixed or autoscaling) for Spark's large-data path.
import { Cluster } from "@cdktf/provider-databricks/lib/cluster";
import { DataDatabricksSparkVersion } from "@cdktf/provider-databricks/lib/data-databricks-spark-version";
import { TerraformLocal } from "cdktf";
import { Construct } from "constructs";

export interface LabClusterProps {
  readonly clusterName: string;
  /** Azure VM size of the driver and of every worker. */
  readonly nodeType: string;
  /**
   * Workers: 0–0 is the single node (driver only), N–N a fixed size, min–max autoscaling.
   * @default { min: 0, max: 0 }
   */
  readonly workers?: { readonly min: number; readonly max: number };
  readonly autoterminationMinutes: number;
  /** The user the cluster is dedicated to (SINGLE_USER access mode). */
  readonly singleUserName: string;
  /** PyPI requirement strings, e.g. `openai==1.42.0`. */
  readonly pypiLibraries: readonly string[];
  readonly sparkEnvVars: Record<string, string>;
  readonly customTags: Record<string, string>;
}

/** Splits a runtime id such as `15.4.x-cpu-ml-scala2.12` into [major, minor, scalaMajor, scalaMinor]; zeros otherwise. */
export function runtimePartsExpression(idExpr: string): string {
  return `\${try(regex("^(\\\\d+)\\\\.(\\\\d+)\\\\.x-cpu-ml-scala(\\\\d+)\\\\.(\\\\d+)$", ${idExpr}), ["0", "0", "0", "0"])}`;
}

/** Precondition over those parts: ML on CPU (else no match), DBR >= 13.3 and Scala >= 2.12. */
export function runtimeCondition(partsExpr: string): string {
  const n = (i: number) => `tonumber(${partsExpr}[${i}])`;
  return `\${${n(0)} * 1000 + ${n(1)} >= 13003 && ${n(2)} * 1000 + ${n(3)} >= 2012}`;
}

/**
 * Size settings. The single node uses the classic form (singleNode profile + local[*] + ResourceClass tag),
 * not `is_single_node`: the newer form needs `kind = CLASSIC_PREVIEW`, a preview API not every workspace
 * accepts, while the classic form works on every workspace and runtime the lab supports.
 */
function clusterSize(workers: { min: number; max: number }, tags: Record<string, string>) {
  if (workers.max === 0) {
    return {
      numWorkers: 0,
      sparkConf: { "spark.databricks.cluster.profile": "singleNode", "spark.master": "local[*]" },
      customTags: { ...tags, ResourceClass: "SingleNode" },
    };
  }
  if (workers.min === workers.max) return { numWorkers: workers.max, customTags: tags };
  return { autoscale: { minWorkers: workers.min, maxWorkers: workers.max }, customTags: tags };
}

export class LabCluster extends Construct {
  readonly runtime: DataDatabricksSparkVersion;
  /** Parsed runtime id, checked by the cluster's precondition. */
  readonly runtimeParts: TerraformLocal;
  readonly cluster: Cluster;

  constructor(scope: Construct, id: string, props: LabClusterProps) {
    super(scope, id);
    const workers = props.workers ?? { min: 0, max: 0 };

    // Latest GA ML runtime for CPUs (the provider's default Scala filter, 2.12, applies).
    this.runtime = new DataDatabricksSparkVersion(this, "ml-runtime", {
      ml: true,
      gpu: false,
      latest: true,
      beta: false,
    });

    this.runtimeParts = new TerraformLocal(this, "ml_runtime_parts", runtimePartsExpression(`${this.runtime.fqn}.id`));

    this.cluster = new Cluster(this, "cluster", {
      clusterName: props.clusterName,
      sparkVersion: this.runtime.id,
      nodeTypeId: props.nodeType,
      autoterminationMinutes: props.autoterminationMinutes,
      ...clusterSize(workers, props.customTags),
      dataSecurityMode: "SINGLE_USER",
      singleUserName: props.singleUserName,
      runtimeEngine: "STANDARD",
      sparkEnvVars: props.sparkEnvVars,
      library: props.pypiLibraries.map((pkg) => ({ pypi: { package: pkg } })),
      lifecycle: {
        precondition: [
          {
            condition: runtimeCondition(`local.${this.runtimeParts.friendlyUniqueId}`),
            errorMessage:
              "The selected Databricks runtime must be an ML runtime for CPUs, Scala >= 2.12 and DBR >= 13.3 " +
              "(the lab's notebook needs MLflow's question-answering evaluation).",
          },
        ],
      },
    });
  }
}
