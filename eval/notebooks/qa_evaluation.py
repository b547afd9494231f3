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


params = read_parameters()
rows = load_rows(params["dataset"])
inputs_column = params["inputs_column"] or "inputs"
targets_column = params["targets_column"] or None
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


def ask(question):
    try:
        response = client.chat.completions.create(
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

# COMMAND ----------

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

if ON_DATABRICKS:
    dbutils.notebook.exit(json.dumps(exit_value))  # noqa: F821
else:
    sys.stdout.write(EXIT_MARKER + json.dumps(exit_value) + "\n")
