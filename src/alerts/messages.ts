/** What the ALERTS queue carries: "plan a notification for this issue", and "send this notification to this alert endpoint". */
import type { Notification } from "./view";

export type AlertMessage = { kind: "alert_plan"; issue_id: string } | { kind: "alert_deliver"; alert_endpoint_id: string; notification: Notification };

export const isAlertMessage = (body: unknown): body is AlertMessage =>
  typeof body === "object" && body !== null && ((body as { kind?: unknown }).kind === "alert_plan" || (body as { kind?: unknown }).kind === "alert_deliver");
