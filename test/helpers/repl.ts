// Drives `tonearm repl` as an operator would: types each command once the prompt has answered
// the previous one, then `quit`. Returns each command's output.
import { spawn } from "node:child_process";

export async function runRepl(commands: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<{ answers: string[]; exitCode: number | null }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/tonearm.ts", "repl"], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const prompts = () => out.split("tonearm $").length - 1;
  const waitPrompt = async (n: number) => {
    const deadline = Date.now() + timeoutMs;
    while (prompts() < n) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill("SIGKILL");
        throw new Error(`REPL did not answer:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const answers: string[] = [];
  await waitPrompt(1);
  for (const [i, cmd] of commands.entries()) {
    const before = out.length;
    child.stdin.write(cmd + "\n");
    await waitPrompt(i + 2);
    answers.push(out.slice(before));
  }
  child.stdin.write("quit\n");
  const exitCode = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { answers, exitCode };
}
