// Dates leaving the API are ISO 8601 strings; a value the database could not parse becomes null
// instead of failing the whole response.
export function isoDate(value: unknown): string | null {
  if (value == null) return null;
  const d = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
