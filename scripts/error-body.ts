// The code and message of a REST error response, for the two shapes the lab's services use:
// Databricks and MLflow answer {"error_code", "message"}; Azure Resource Manager {"error": {"code", "message"}}.

export function errorBody(status: number, text: string, shape: "databricks" | "arm"): { code: string; message: string } {
  let code = String(status);
  let message = text.slice(0, 300);
  try {
    const json = JSON.parse(text);
    const e = shape === "arm" ? { code: json?.error?.code, message: json?.error?.message } : { code: json?.error_code, message: json?.message };
    // Some legacy Databricks endpoints put the HTTP status in error_code as a number: treat it as absent.
    if (typeof e.code === "string" && e.code) code = e.code;
    if (e.message) message = String(e.message);
  } catch {}
  return { code, message };
}
