// A mobile team's client written the natural way: types generated from openapi.yaml by
// openapi-typescript, calls through openapi-fetch, compiled with `tsc --strict`. Fields the
// contract says are always present are read without null-guards; if the contract stopped
// promising one of them, this file would no longer compile.
import createClient from "openapi-fetch";
import type { components, paths } from "./steady";

type Round = components["schemas"]["Round"];
type Kind = Round["kind"];

const client = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });

export async function signIn(email: string, password: string): Promise<string> {
  const login = await client.POST("/v1/auth/login", { body: { email, password } });
  if (login.error) {
    // Errors are typed too: `reason` is what clients switch on.
    throw new Error(`${login.error.reason}: ${login.error.message}`);
  }
  const role: "partner" | "therapist" = login.data.user.role;
  const bearer: "Bearer" = login.data.token_type;
  return `${bearer} ${login.data.access_token} (${role}, ${login.data.expires_in}s)`;
}

export async function openRounds(token: string): Promise<string[]> {
  const rounds = await client.GET("/v1/couple/rounds", {
    params: { query: { status: "open", limit: 20 } },
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!rounds.data) {
    return [];
  }
  const next: string | null = rounds.data.next_cursor;
  return rounds.data.items.map((round: Round) => {
    const kind: Kind = round.kind;
    const asked: string = round.asked_at;
    const status: "open" | "complete" = round.status;
    const mine = round.my_answer === null ? "unanswered" : round.my_answer.created_at;
    return `${round.prompt.text} [${kind}, ${status}] asked ${asked}, ${mine} ${next ?? ""}`;
  });
}

export async function answer(token: string, roundId: string, text: string): Promise<string> {
  const answered = await client.POST("/v1/couple/rounds/{round_id}/answers", {
    params: { path: { round_id: roundId } },
    headers: { Authorization: `Bearer ${token}`, "Idempotency-Key": `answer-${roundId}` },
    body: { text },
  });
  if (answered.error) {
    return answered.error.reason;
  }
  const replayed = answered.response.headers.get("Idempotent-Replayed") === "true";
  return `${answered.data.id} ${answered.data.status} ${replayed}`;
}

export async function couple(token: string): Promise<string> {
  const found = await client.GET("/v1/couple", {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (found.error) {
    return found.error.reason;
  }
  return `${found.data.me.display_name ?? ""} & ${found.data.partner.id} since ${found.data.since}`;
}

export async function switches(token: string): Promise<boolean> {
  const settings = await client.GET("/v1/me/notification-settings", {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!settings.data) {
    return false;
  }
  const quiet = settings.data.quiet_hours;
  return settings.data.kinds.gratitude_received && quiet !== null && quiet.start < quiet.end;
}
