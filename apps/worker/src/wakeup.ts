// LISTEN btick_wakeup on a dedicated pg connection (Prisma cannot LISTEN). Reconnects on loss with backoff;
// polling remains the safety net while it is down, and a reconnect counts as a wake-up (a notify may have been missed).
import pg from "pg";
import type { Logger } from "pino";

export const WAKEUP_CHANNEL = "btick_wakeup";

export interface WakeupListener {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while a connection is listening. */
  readonly listening: boolean;
}

export function createWakeupListener(args: {
  connectionString: string;
  applicationName?: string;
  /** Called with the notification's payload ("" for a plain wake-up, `cancel:<run id>` when a run was replaced). */
  onWake: (payload: string) => void;
  logger: Logger;
  reconnectMaxMs?: number;
}): WakeupListener {
  let client: pg.Client | null = null;
  let stopped = true;
  let listening = false;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;

  const scheduleReconnect = () => {
    if (stopped || timer) return;
    const delay = Math.min(args.reconnectMaxMs ?? 30_000, 250 * 2 ** Math.min(failures, 10));
    failures++;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, delay);
  };

  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: args.connectionString, application_name: args.applicationName });
    client = c;
    const lost = (err?: Error) => {
      if (client !== c) return;
      client = null;
      listening = false;
      c.removeAllListeners();
      c.on("error", () => {});
      void c.end().catch(() => {});
      if (!stopped) {
        // Once per loss: the failed reconnects that follow (the database is down) are logged at debug level.
        if (failures === 0) args.logger.warn({ err: err?.message }, "wake-up listener connection lost; reconnecting");
        else args.logger.debug({ err: err?.message, failures }, "wake-up listener reconnect failed; retrying");
        scheduleReconnect();
      }
    };
    c.on("error", lost);
    c.on("end", () => lost());
    c.on("notification", (msg) => {
      if (msg.channel === WAKEUP_CHANNEL) args.onWake(msg.payload ?? "");
    });
    try {
      await c.connect();
      await c.query(`listen ${WAKEUP_CHANNEL}`);
      if (client !== c) return;
      listening = true;
      if (failures > 0) args.logger.info("wake-up listener reconnected");
      failures = 0;
      args.onWake("");
    } catch (err) {
      lost(err as Error);
    }
  };

  return {
    get listening() {
      return listening;
    },
    async start() {
      stopped = false;
      await connect();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const c = client;
      client = null;
      listening = false;
      if (c) {
        c.removeAllListeners();
        c.on("error", () => {});
        await c.end().catch(() => {});
      }
    },
  };
}
