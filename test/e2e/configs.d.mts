export function withConfig<T>(text: string, fn: (file: string) => Promise<T> | T): Promise<T>;
export function wranglerToml(extra?: string): string;
