// Which services a node runs. Names are Moleculer service names; groups name the usual
// cluster roles (DESIGN §4). `system` runs on every node: it reports the node itself.
export const SERVICES = ["api", "users", "songs", "playlists", "ingest", "system"] as const;
export type ServiceName = (typeof SERVICES)[number];

export const GROUPS: Record<string, ServiceName[]> = {
  // ingest reads the library folder and writes songs: it lives where the data does.
  library: ["users", "songs", "playlists", "ingest"],
  core: ["api", "users", "songs", "playlists", "ingest"],
  all: [...SERVICES],
};

/** Expands groups, checks names, adds `system`; empty means every service. */
export function resolveServices(requested: string[]): ServiceName[] {
  const names = requested.length ? requested : ["all"];
  const out = new Set<ServiceName>();
  const unknown: string[] = [];
  for (const raw of names) {
    const name = raw.trim().toLowerCase();
    if (GROUPS[name]) GROUPS[name].forEach((s) => out.add(s));
    else if ((SERVICES as readonly string[]).includes(name)) out.add(name as ServiceName);
    else unknown.push(raw);
  }
  if (unknown.length) {
    throw new Error(
      `Unknown service(s): ${unknown.join(", ")}. Known: ${SERVICES.join(", ")}; groups: ${Object.keys(GROUPS).join(", ")}`,
    );
  }
  out.add("system");
  return SERVICES.filter((s) => out.has(s));
}

// Loaded on demand, so a node imports only the code of the services it runs.
const LOADERS: Record<ServiceName, () => Promise<{ default: unknown }>> = {
  api: () => import("../services/api.service.js"),
  users: () => import("../services/users.service.js"),
  songs: () => import("../services/songs.service.js"),
  playlists: () => import("../services/playlists.service.js"),
  ingest: () => import("../services/ingest.service.js"),
  system: () => import("../services/system.service.js"),
};

export async function loadService(name: ServiceName) {
  return (await LOADERS[name]()).default as import("moleculer").ServiceSchema;
}
