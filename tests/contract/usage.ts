// What a frontend does with the client generated from the gateway's contract; `tsc --strict` must accept it.
import type { components, operations } from "./contract";

type Json<Op extends keyof operations> =
  operations[Op]["responses"] extends { 200: { content: { "application/json": infer Body } } } ? Body : never;
type CaseState = components["schemas"]["CaseState"];

export function nextOperation(read: Json<"read">): string | undefined {
  if (!("allowed_actions" in read)) return undefined; // a calling system sees the status only
  return read.allowed_actions[0]?.operation_id;
}

export const complaint: operations["receive"]["requestBody"]["content"]["application/json"] = {
  channel: "e-mail", signal_type: "klacht", subject: "Sirenes 's nachts", text: "Moeten ze altijd loeien?",
  complainant: { email: "a.burger@example.be", preferred_answer_channel: "e-mail" },
};

export const states = (queue: Json<"queue">): CaseState[] => queue.items.map((item) => item.status);
export const waiting: CaseState = "awaiting-information";

export const firstCount = (report: Json<"yearly_report">): string | number | null | undefined =>
  report.rows[0]?.["cases"];
