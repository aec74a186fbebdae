export function vitestRun(config: string, env?: Record<string, string>, timeoutMs?: number): Promise<{ code: number | null; output: string }>;
