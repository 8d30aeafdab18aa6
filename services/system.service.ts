// system: runs on every node. Reports this node (services, memory, load, uptime) and, for
// operators, every node of the cluster. Keeps no data, so any node can answer `system.info`.
import os from "node:os";
import type { Context, ServiceSchema, Service } from "moleculer";
import { requireAdmin, type Meta } from "../lib/auth/access.js";

export interface NodeInfo {
  nodeID: string;
  hostname: string;
  pid: number;
  services: string[];
  uptimeSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  loadAverage: number[];
  cpus: number;
  node: string;
}

const SystemService: ServiceSchema = {
  name: "system",

  actions: {
    info: {
      handler(this: Service): NodeInfo {
        const mem = process.memoryUsage();
        return {
          nodeID: this.broker.nodeID,
          hostname: os.hostname(),
          pid: process.pid,
          services: this.broker.services.map((s) => s.name).filter((n) => !n.startsWith("$")).sort(),
          uptimeSeconds: Math.round(process.uptime()),
          rssBytes: mem.rss,
          heapUsedBytes: mem.heapUsed,
          loadAverage: os.loadavg(),
          cpus: os.cpus().length,
          node: process.version,
        };
      },
    },

    nodes: {
      async handler(this: Service, ctx: Context<unknown, Meta>) {
        requireAdmin(ctx);
        const nodes = ((this.broker.registry as any).getNodeList({ onlyAvailable: false, withServices: false }) as Array<{ id: string; available: boolean; hostname: string; local: boolean }>);
        return Promise.all(nodes.map(async (n) => {
          if (!n.available) return { nodeID: n.id, available: false, hostname: n.hostname };
          try {
            const info = await ctx.call<NodeInfo, any>("system.info", {}, { nodeID: n.id, timeout: 2000, retries: 0 });
            return { ...info, available: true, local: n.local };
          } catch (err) {
            return { nodeID: n.id, available: true, local: n.local, hostname: n.hostname, error: (err as Error).message };
          }
        }));
      },
    },
  },
};

export default SystemService;
