# Databricks notebook source
# MAGIC %md
# MAGIC # Question-answering evaluation of the lab's Azure OpenAI deployment
# MAGIC
# MAGIC The lab's `mlflow.evaluate(openai_qa, eval_data, model_type="question-answering")`, corrected:
# MAGIC the endpoint, key and API version come from the cluster's environment (the key through the
# MAGIC lab's secret scope, never pasted here), the dataset is a parameter, and `openai_qa` sends the
# MAGIC real question with the formal system prompt. It ends with `dbutils.notebook.exit(...)` carrying
# MAGIC the run id, the metrics and the per-row table, so `evallab eval --on databricks` can bring the
# MAGIC results home. Outside Databricks it runs as a plain Python script (for tests).

# COMMAND ----------

import argparse
import json
import os
import sys

import mlflow
import pandas as pd
from openai import AzureOpenAI, BadRequestError, OpenAI

SYSTEM_PROMPT = "Please answer the following question in formal language."
EXIT_MARKER = "EVALLAB_NOTEBOOK_EXIT "
DATASET_FILE = "lab-qa.jsonl"
PARAMETERS = {
    "dataset": "",  # JSON rows, or a path to a .jsonl file; default: the lab's bundled two rows
    "inputs_column": "inputs",
    "targets_column": "ground_truth",  # empty: no targets, no exact_match
    "experiment": "",  # MLflow experiment id or path; default: the notebook's own experiment
    "deployment": "",  # default: AZURE_OPENAI_DEPLOYMENT
    "table_dir": "",  # where to write the table when it is too large to return inline
    "max_inline_rows": "500",
    "scorers": "",  # MLflow 3 judged scorers, e.g. "correctness,safety": mlflow.genai.evaluate in the same run
    "guidelines": "",  # for the guidelines scorer: a JSON list, or one guideline per line
    "judge_deployment": "",  # the judge; default: the deployment under test
    "engine": "auto",  # pandas (mlflow.evaluate on the driver), spark (large data), or auto: by size
    "spark_min_rows": "20000",  # auto chooses spark from this many rows up
    "predictions_column": "",  # score this answer column, ask no model (static dataset)
    "concurrency": "8",  # spark path: requests in flight from the driver at most
    "progress_path": "",  # spark path: a JSON file of rows answered and scored, for evallab to poll
}

try:
    dbutils  # noqa: F821  (defined on Databricks)
    ON_DATABRICKS = True
except NameError:
    ON_DATABRICKS = False


def read_parameters():
    """Notebook widgets on Databricks; command-line flags outside it."""
    if ON_DATABRICKS:
        for name, default in PARAMETERS.items():
            dbutils.widgets.text(name, default)  # noqa: F821
        return {name: dbutils.widgets.get(name) for name in PARAMETERS}  # noqa: F821
    parser = argparse.ArgumentParser(description="The lab's QA evaluation, outside Databricks")
    for name, default in PARAMETERS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=default)
    return vars(parser.parse_args())


def default_dataset_path():
    """The bundled dataset: beside the notebook in the workspace, or in eval/datasets/ locally."""
    if ON_DATABRICKS:
        ctx = dbutils.notebook.entry_point.getDbutils().notebook().getContext()  # noqa: F821
        folder = os.path.dirname(ctx.notebookPath().get())
        return f"/Workspace{folder}/{DATASET_FILE}"
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "datasets", DATASET_FILE)


def load_rows(dataset):
    text = dataset.strip()
    if text.startswith("["):
        return json.loads(text)
    path = text or default_dataset_path()
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def count_rows(dataset):
    """Rows in the dataset, streamed (a large file is never read whole here)."""
    text = dataset.strip()
    if text.startswith("["):
        return len(json.loads(text))
    with open(text or default_dataset_path(), encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


params = read_parameters()
inputs_column = params["inputs_column"] or "inputs"
targets_column = params["targets_column"] or None
ENGINE = params["engine"] or "auto"
if ENGINE == "auto":
    ENGINE = "spark" if count_rows(params["dataset"]) >= int(params["spark_min_rows"] or 20000) else "pandas"
if ENGINE == "pandas":
    rows = load_rows(params["dataset"])
    if targets_column and not all(targets_column in r for r in rows):
        targets_column = None
    eval_data = pd.DataFrame(rows)

# COMMAND ----------

# The lab's model under test. Credentials come from the cluster's environment (spark_env_vars), the
# key as a {{secrets/...}} reference resolved by Databricks: nothing secret lives in this notebook.
# AZURE_OPENAI_API_VERSION is a dated version, or "v1" for the GA v1 API (/openai/v1/, no api-version),
# which serves every current model; the lab picks the one that serves its deployment.
API_VERSION = os.environ.get("AZURE_OPENAI_API_VERSION", "2024-10-21")
if API_VERSION == "v1":
    client = OpenAI(
        base_url=os.environ["AZURE_OPENAI_ENDPOINT"].rstrip("/") + "/openai/v1/",
        api_key=os.environ["AZURE_OPENAI_API_KEY"],
        max_retries=10,  # 429s are retried, honouring retry-after(-ms)
    )
else:
    client = AzureOpenAI(
        azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"],
        api_key=os.environ["AZURE_OPENAI_API_KEY"],
        api_version=API_VERSION,
        max_retries=10,
    )
deployment = params["deployment"] or os.environ.get("AZURE_OPENAI_DEPLOYMENT", "gpt-35-turbo")
filtered_rows = []
# Reasoning models (gpt-5 family, o-series) think before answering; those tokens are billed as output.
# No max_tokens or temperature is sent, so the request suits reasoning and classic models alike.
usage_totals = {"completion_tokens": 0, "reasoning_tokens": 0}


def record_usage(usage):
    if usage is None:
        return
    usage_totals["completion_tokens"] += usage.completion_tokens or 0
    # openai 1.42.0 predates completion_tokens_details: read it from the raw fields when present.
    details = getattr(usage, "completion_tokens_details", None) or (usage.model_extra or {}).get("completion_tokens_details")
    if isinstance(details, dict):
        usage_totals["reasoning_tokens"] += details.get("reasoning_tokens") or 0
    elif details is not None:
        usage_totals["reasoning_tokens"] += getattr(details, "reasoning_tokens", 0) or 0


# The deployment's last reported budget (x-ratelimit-remaining-requests): the Spark path's driver keeps
# no more requests in flight than the window still holds.
rate_budget = {"remaining_requests": None}


def ask(question):
    try:
        raw = client.chat.completions.with_raw_response.create(
            model=deployment,
            messages=[
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": question},
            ],
        )
    except BadRequestError as e:
        if getattr(e, "code", None) == "content_filter":
            return None
        raise
    remaining = raw.headers.get("x-ratelimit-remaining-requests")
    if remaining is not None and remaining.isdigit():
        rate_budget["remaining_requests"] = int(remaining)
    response = raw.parse()
    record_usage(response.usage)
    choice = response.choices[0]
    if choice.finish_reason == "content_filter":
        return None
    return choice.message.content or ""


def openai_qa(inputs):
    answers = []
    for i, question in enumerate(inputs[inputs_column]):
        answer = ask(question)
        if answer is None:
            filtered_rows.append(i)
            answer = ""  # MLflow's text metrics need strings; the row is reported as filtered
        answers.append(answer)
    return answers


# COMMAND ----------

# MLflow 3's judged scorers on the answers just given, with the lab's own deployment as the judge
# through MLflow's documented Azure OpenAI route: "azure:/<deployment>" with AZURE_API_KEY,
# AZURE_API_BASE and AZURE_API_VERSION (a dated version), or, on the v1 API, "openai:/<deployment>"
# with OPENAI_API_KEY and OPENAI_API_BASE at <endpoint>/openai/v1.
SCORER_ALIASES = {"relevance": "relevance_to_query"}


def judge_uri(judge):
    endpoint = os.environ["AZURE_OPENAI_ENDPOINT"].rstrip("/")
    if API_VERSION == "v1":
        os.environ.setdefault("OPENAI_API_KEY", os.environ["AZURE_OPENAI_API_KEY"])
        os.environ.setdefault("OPENAI_API_BASE", endpoint + "/openai/v1")
        return f"openai:/{judge}"
    os.environ.setdefault("AZURE_API_KEY", os.environ["AZURE_OPENAI_API_KEY"])
    os.environ.setdefault("AZURE_API_BASE", endpoint)
    os.environ.setdefault("AZURE_API_VERSION", API_VERSION)
    return f"azure:/{judge}"


def parse_guidelines(text):
    text = text.strip()
    if text.startswith("["):
        return [str(g) for g in json.loads(text)]
    return [line.strip() for line in text.splitlines() if line.strip()]


def build_scorers(names, model):
    from mlflow.genai.scorers import Correctness, Guidelines, RelevanceToQuery, Safety

    made = []
    for name in names:
        name = SCORER_ALIASES.get(name, name)
        if name == "correctness":
            if not targets_column:
                raise ValueError("the correctness scorer compares with the expected answer: give targets_column")
            made.append(Correctness(model=model))
        elif name == "relevance_to_query":
            made.append(RelevanceToQuery(model=model))
        elif name == "safety":
            made.append(Safety(model=model))
        elif name == "guidelines":
            made.append(Guidelines(name="guidelines", guidelines=parse_guidelines(params["guidelines"]), model=model))
        else:
            raise ValueError(f"unknown scorer {name!r}; known: correctness, relevance_to_query, safety, guidelines")
    return made


def judge_answers(table):
    """mlflow.genai.evaluate over the answers (filtered rows left out), in the active run."""
    names = [n.strip() for n in params["scorers"].split(",") if n.strip()]
    scorers = build_scorers(names, judge_uri(params["judge_deployment"] or deployment))
    keep = [i for i in range(len(table)) if i not in set(filtered_rows)]
    data = []
    for i in keep:
        row = table.iloc[i]
        item = {"inputs": {"question": str(row[inputs_column])}, "outputs": str(row["outputs"])}
        if targets_column:
            item["expectations"] = {"expected_response": str(row[targets_column])}
        data.append(item)
    result = mlflow.genai.evaluate(data=data, scorers=scorers)
    df = result.result_df
    columns = {}
    for s in scorers:
        for part in ("value", "rationale", "error_message"):
            col = f"{s.name}/{part}"
            values = [None] * len(table)
            if col in df.columns:
                for i, v in zip(keep, df[col].tolist()):
                    values[i] = None if v is None or (isinstance(v, float) and v != v) else (v.value if hasattr(v, "value") else v)
            columns[col] = values
    return {"metrics": {k: float(v) for k, v in result.metrics.items() if v is not None}, "columns": columns}


# COMMAND ----------

experiment = params["experiment"].strip()
if experiment.isdigit():
    mlflow.set_experiment(experiment_id=experiment)
elif experiment:
    mlflow.set_experiment(experiment)


def evaluate_small():
    """The lab's way: mlflow.evaluate on the driver, the table returned inline or as a file."""
    with mlflow.start_run() as run:
        mlflow.log_params({"deployment": deployment, "api_version": API_VERSION, "system_prompt": SYSTEM_PROMPT, "rows": len(rows)})
        results = mlflow.evaluate(
            openai_qa,
            eval_data,
            model_type="question-answering",
            targets=targets_column,
        )
        mlflow.log_metrics({f"usage/{k}": v for k, v in usage_totals.items()})
        judged = judge_answers(results.tables["eval_results_table"]) if params["scorers"].strip() else None

    # Bring the results home: metrics and the per-row table, in the column order evallab writes.
    table = results.tables["eval_results_table"]
    first = ["inputs"] + (["ground_truth"] if targets_column else []) + ["outputs"]
    if inputs_column != "inputs" and inputs_column in table.columns:
        table = table.rename(columns={inputs_column: "inputs"})
    if targets_column and targets_column != "ground_truth" and targets_column in table.columns:
        table = table.rename(columns={targets_column: "ground_truth"})
    columns = [c for c in first if c in table.columns] + [c for c in table.columns if c not in first]
    table_json = {"columns": columns, "data": json.loads(table[columns].to_json(orient="values"))}
    metrics = {k: float(v) for k, v in results.metrics.items()}
    if judged:
        # The verdicts join the table as mlflow.genai.evaluate names them; <name>/mean joins the metrics.
        for name, values in judged["columns"].items():
            table_json["columns"].append(name)
            for row, value in zip(table_json["data"], values):
                row.append(value)
        metrics.update(judged["metrics"])

    exit_value = {
        "run_id": run.info.run_id,
        "experiment_id": run.info.experiment_id,
        "metrics": metrics,
        "filtered_rows": filtered_rows,
        "usage": usage_totals,
    }
    if len(table) <= int(params["max_inline_rows"] or 500):
        exit_value["table"] = table_json
    else:
        folder = params["table_dir"] or os.path.join(os.getcwd(), "evallab-results")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{run.info.run_id}-eval_results_table.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(table_json, f)
        exit_value["table_path"] = path
    return exit_value


# COMMAND ----------

# The large-data path. Spark reads the dataset; the driver asks the deployment with bounded concurrency
# that follows its reported budget (openai's client retries 429s after their retry-after), so the
# deployment's limit, not the cluster, bounds this part; the metrics are computed across the workers
# with pandas UDFs (textstat, tiktoken, the toxicity model loaded once per executor); the aggregates are
# MLflow's (np.mean, np.var, np.percentile(90)) over the whole set in the dataset's order; the per-row
# table is written as Parquet (its location logged to the run) and as JSON lines for evallab to stream home.


def spark_session():
    if ON_DATABRICKS:
        return spark  # noqa: F821
    from pyspark.sql import SparkSession

    # Workers run this interpreter (its pandas, textstat and tiktoken), as a cluster's do its own.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Local mode runs driver and executors in one JVM on a machine that may be busy with other work: a
    # fixed heap (not a share of whatever is free), Arrow batches small enough that a Python worker stays
    # near 100 MB, timeouts that a starved heartbeat cannot trip, and a worker's traceback in the error
    # should one die (https://spark.apache.org/docs/latest/configuration.html).
    return (
        SparkSession.builder.master(os.environ.get("EVALLAB_SPARK_MASTER", "local[2]"))
        .appName("evallab")
        .config("spark.driver.memory", os.environ.get("EVALLAB_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "2000")
        .config("spark.python.worker.faulthandler.enabled", "true")
        .config("spark.sql.execution.pyspark.udf.faulthandler.enabled", "true")
        .config("spark.network.timeout", "600s")
        .config("spark.executor.heartbeatInterval", "60s")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


class Progress:
    """Rows answered and scored, written atomically to progress_path (at most every 2 s) and printed."""

    def __init__(self, total):
        self.path = params["progress_path"].strip()
        self.state = {"rows": total, "answered": 0, "scored": 0, "phase": "answering"}
        self.last = 0.0

    def update(self, force=False, **changes):
        import time

        self.state.update(changes)
        now = time.time()
        if not force and now - self.last < 2:
            return
        self.last = now
        print(f"progress: {json.dumps(self.state)}", flush=True)
        if self.path:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            tmp = f"{self.path}.tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.state, f)
            os.replace(tmp, self.path)


def read_dataset(sp):
    from pyspark.sql import functions as F

    text = params["dataset"].strip()
    df = sp.createDataFrame(pd.DataFrame(json.loads(text))) if text.startswith("[") else sp.read.json(text or default_dataset_path())
    # The file's order, kept as a column: aggregates and the table follow it.
    return df.withColumn("index", F.monotonically_increasing_id())


def answer_all(sp, df, progress):
    """Ask from the driver: at most `concurrency` requests in flight, fewer when the window runs low."""
    import time
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    limit = max(1, int(params["concurrency"] or 8))
    answers = []

    def one(index, question):
        answer = ask(question)
        return (index, answer, "filtered" if answer is None else "ok")

    with ThreadPoolExecutor(max_workers=limit) as pool:
        pending = set()
        for row in df.select("index", inputs_column).orderBy("index").toLocalIterator():
            while True:
                budget = rate_budget["remaining_requests"]
                allowed = limit if budget is None else max(1, min(limit, budget))
                if len(pending) < allowed:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                answers.extend(f.result() for f in done)
                progress.update(answered=len(answers))
                if budget == 0:
                    time.sleep(1)  # the window is spent: let it refill before the next request
            pending.add(pool.submit(one, row["index"], row[inputs_column]))
        answers.extend(f.result() for f in wait(pending).done)
    progress.update(force=True, answered=len(answers))
    return sp.createDataFrame(pd.DataFrame(answers, columns=["index", "outputs", "status"]), "index long, outputs string, status string")


_ENCODING = None


def cl100k():
    """tiktoken's cl100k_base, loaded once per executor process (what MLflow's token_count uses)."""
    global _ENCODING
    if _ENCODING is None:
        import tiktoken

        _ENCODING = tiktoken.get_encoding("cl100k_base")
    return _ENCODING


_TOXICITY = None


def toxicity_pipeline():
    """MLflow's toxicity model (the probability of 'hate'), loaded once per executor process."""
    global _TOXICITY
    if _TOXICITY is None:
        from transformers import pipeline

        _TOXICITY = pipeline("text-classification", model="facebook/roberta-hate-speech-dynabench-r4-target", top_k=None, truncation=True)
    return _TOXICITY


def metric_columns():
    """The score columns this cluster can compute: toxicity only when its model loads (MLflow leaves it out otherwise)."""
    columns = {"token_count": "long"}
    try:
        toxicity_pipeline()  # on the driver first
        columns["toxicity/v1/score"] = "double"
    except Exception as e:  # noqa: BLE001
        print(f"Failed to load 'toxicity' metric (skipped): {e}", file=sys.stderr)
    columns["flesch_kincaid_grade_level/v1/score"] = "double"
    columns["ari_grade_level/v1/score"] = "double"
    return columns


def scorer(columns):
    """mapInPandas over each partition: every metric for every answered row, libraries loaded once per worker."""

    def score(batches):
        import textstat

        for pdf in batches:
            texts = [t if s == "ok" and isinstance(t, str) else None for t, s in zip(pdf["outputs"], pdf["status"])]
            pdf["token_count"] = pd.Series([None if t is None else len(cl100k().encode(t)) for t in texts], dtype="Int64")
            if "toxicity/v1/score" in columns:
                found = toxicity_pipeline()([t or "" for t in texts])
                hate = [next(x["score"] for x in r if x["label"] == "hate") for r in found]
                pdf["toxicity/v1/score"] = pd.Series([None if t is None else h for t, h in zip(texts, hate)], dtype="Float64")
            pdf["flesch_kincaid_grade_level/v1/score"] = pd.Series([None if t is None else float(textstat.flesch_kincaid_grade(t)) for t in texts], dtype="Float64")
            pdf["ari_grade_level/v1/score"] = pd.Series([None if t is None else float(textstat.automated_readability_index(t)) for t in texts], dtype="Float64")
            yield pdf

    return score


def mlflow_aggregates(name, values):
    import numpy as np

    if len(values) == 0:
        return {}
    out = {f"{name}/v1/mean": float(np.mean(values)), f"{name}/v1/variance": float(np.var(values)), f"{name}/v1/p90": float(np.percentile(values, 90))}
    if name == "toxicity":
        out["toxicity/v1/ratio"] = float(np.mean(values >= 0.5))
    return out


def evaluate_with_spark():
    from pyspark.sql import functions as F

    sp = spark_session()
    df = read_dataset(sp)
    global targets_column
    if targets_column and targets_column not in df.columns:
        targets_column = None
    total = df.count()
    progress = Progress(total)
    predictions = params["predictions_column"].strip()
    if predictions:
        answered = df.withColumn("outputs", F.col(predictions).cast("string")).withColumn("status", F.lit("ok"))
    else:
        answered = df.join(answer_all(sp, df, progress), "index")
    progress.update(force=True, phase="scoring")
    keep = ["index", F.col(inputs_column).alias("inputs")]
    if targets_column:
        keep.append(F.col(targets_column).cast("string").alias("ground_truth"))
    table = answered.select(*keep, "outputs", "status")
    # Across the workers: several partitions, each scored by the UDFs in its executor.
    table = table.repartition(max(2, sp.sparkContext.defaultParallelism))
    partitions = table.rdd.getNumPartitions()
    udfs = metric_columns()
    schema = table.schema.simpleString()[len("struct<") : -1] + "".join(f",`{c}` {t}" for c, t in udfs.items())
    table = table.mapInPandas(scorer(udfs), f"{schema}")
    # Back in the dataset's order, sorted into as many partitions as were scored (a sort's default, 200
    # tiny ones, costs a job each when the table is streamed to the driver).
    sp.conf.set("spark.sql.shuffle.partitions", str(partitions))
    table = table.orderBy("index").cache()

    metrics = {}
    if targets_column:
        matched = table.where(F.col("status") == "ok").select(F.avg((F.col("outputs") == F.col("ground_truth")).cast("double"))).first()[0]
        if matched is not None:
            metrics["exact_match/v1"] = float(matched)
    import numpy as np

    for column in udfs:
        if column == "token_count":
            continue
        # One float column (8 bytes a row) comes to the driver, in the dataset's order, through Arrow.
        values = table.where(F.col(column).isNotNull()).select(column).toPandas()[column].to_numpy(dtype=float)
        metrics.update(mlflow_aggregates(column.split("/")[0], values))
    progress.update(force=True, scored=total, phase="writing")

    columns = ["inputs"] + (["ground_truth"] if targets_column else []) + ["outputs"] + list(udfs)
    with mlflow.start_run() as run:
        folder = params["table_dir"] or os.path.join(os.getcwd(), "evallab-results")
        parquet = os.path.join(folder, run.info.run_id, "eval_results_table.parquet")
        table.select(*columns).write.mode("overwrite").parquet(parquet if ON_DATABRICKS or parquet.startswith("/") else os.path.abspath(parquet))
        jsonl = os.path.join(folder, f"{run.info.run_id}-eval_results_table.jsonl")
        os.makedirs(folder, exist_ok=True)
        filtered_rows.clear()  # positions in the table, not ids
        with open(jsonl, "w", encoding="utf-8") as f:
            for position, row in enumerate(table.select(*columns, "status").toLocalIterator()):
                f.write(json.dumps([row[c] for c in columns]) + "\n")
                if row["status"] != "ok":
                    filtered_rows.append(position)
        mlflow.log_params({"deployment": "(static predictions)" if predictions else deployment, "api_version": API_VERSION, "rows": total, "engine": "spark"})
        mlflow.log_metrics(metrics)
        mlflow.log_metrics({f"usage/{k}": v for k, v in usage_totals.items()})
        mlflow.set_tag("evallab.table_location", parquet)
    progress.update(force=True, phase="done")
    return {
        "run_id": run.info.run_id,
        "experiment_id": run.info.experiment_id,
        "engine": "spark",
        "partitions": partitions,
        "metrics": metrics,
        "filtered_rows": filtered_rows,
        "usage": usage_totals,
        "table_columns": columns,
        "table_jsonl_path": jsonl,
        "table_location": parquet,
    }


exit_value = evaluate_with_spark() if ENGINE == "spark" else evaluate_small()

if ON_DATABRICKS:
    dbutils.notebook.exit(json.dumps(exit_value))  # noqa: F821
else:
    sys.stdout.write(EXIT_MARKER + json.dumps(exit_value) + "\n")
