// Reads the Dockerfile into its stages and instructions, for hack/image/rootfs.ts (which carries
// them out without a container engine) and test/e2e/image (which runs the result as the
// Dockerfile's USER, WORKDIR, ENV and ENTRYPOINT say). Only the instructions our Dockerfile
// uses are known; any other is an error, so that the Dockerfile cannot outgrow what is proven.
import { readFileSync } from 'node:fs';

export type Instruction =
  | { kind: 'WORKDIR'; path: string }
  | { kind: 'COPY'; from?: string; sources: string[]; dest: string }
  | { kind: 'RUN'; command: string }
  | { kind: 'ARG'; name: string; default?: string }
  | { kind: 'ENV'; name: string; value: string }
  | { kind: 'USER'; user: string }
  | { kind: 'ENTRYPOINT' | 'CMD'; words: string[] };

export interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

/** What the final stage says about running the image: docker inspect's Config, in short. */
export interface ImageConfig {
  workdir: string;
  env: Record<string, string>;
  user: { uid: number; gid: number };
  entrypoint: string[];
  cmd: string[];
}

export const DOCKERFILE = new URL('../../Dockerfile', import.meta.url).pathname;

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  for (const line of logical) {
    const [keyword = '', rest = ''] = /^(\S+)\s+(.*)$/.exec(line)?.slice(1) ?? [];
    const instruction = keyword.toUpperCase();
    if (instruction === 'FROM') {
      const [base = '', as, name] = rest.split(/\s+/);
      if (as !== undefined && (as.toUpperCase() !== 'AS' || !name)) throw new Error(`Dockerfile: cannot read "${line}"`);
      stages.push({ base, name, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile: "${line}" before any FROM`);
    stage.instructions.push(parseInstruction(instruction, rest, line));
  }
  return stages;
}

function parseInstruction(instruction: string, rest: string, line: string): Instruction {
  switch (instruction) {
    case 'WORKDIR': return { kind: 'WORKDIR', path: rest };
    case 'RUN': return { kind: 'RUN', command: rest };
    case 'USER': return { kind: 'USER', user: rest };
    case 'ARG': {
      const [name = '', value] = rest.split('=', 2);
      return { kind: 'ARG', name, default: value };
    }
    case 'ENV': {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(rest);
      if (!match) throw new Error(`Dockerfile: only ENV NAME=VALUE is read, not "${line}"`);
      return { kind: 'ENV', name: match[1] ?? '', value: match[2] ?? '' };
    }
    case 'ENTRYPOINT':
    case 'CMD': {
      const words: unknown = JSON.parse(rest);
      if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) throw new Error(`Dockerfile: only the exec form is read, not "${line}"`);
      return { kind: instruction, words };
    }
    case 'COPY': {
      const words = rest.split(/\s+/);
      let from: string | undefined;
      while (words[0]?.startsWith('--')) {
        const flag = words.shift() ?? '';
        if (!flag.startsWith('--from=')) throw new Error(`Dockerfile: COPY ${flag} is not supported`);
        from = flag.slice('--from='.length);
      }
      const dest = words.pop();
      if (!dest || words.length === 0) throw new Error(`Dockerfile: cannot read "${line}"`);
      return { kind: 'COPY', from, sources: words, dest };
    }
    default: throw new Error(`Dockerfile: ${instruction} is not supported by hack/image (only FROM, WORKDIR, COPY, RUN, ARG, ENV, USER, ENTRYPOINT, CMD)`);
  }
}

export function readDockerfile(file = DOCKERFILE): Stage[] {
  return parseDockerfile(readFileSync(file, 'utf8'));
}

/** The final stage's run-time configuration. */
export function imageConfig(stages: Stage[]): ImageConfig {
  const final = stages.at(-1);
  if (!final) throw new Error('Dockerfile: no stage');
  const config: ImageConfig = { workdir: '/', env: {}, user: { uid: 0, gid: 0 }, entrypoint: [], cmd: [] };
  for (const instruction of final.instructions) {
    if (instruction.kind === 'WORKDIR') config.workdir = instruction.path;
    else if (instruction.kind === 'ENV') config.env[instruction.name] = instruction.value;
    else if (instruction.kind === 'ENTRYPOINT') config.entrypoint = instruction.words;
    else if (instruction.kind === 'CMD') config.cmd = instruction.words;
    else if (instruction.kind === 'USER') {
      const match = /^(\d+):(\d+)$/.exec(instruction.user);
      if (!match) throw new Error(`Dockerfile: USER must be numeric uid:gid (runAsNonRoot verifies it), not "${instruction.user}"`);
      config.user = { uid: Number(match[1]), gid: Number(match[2]) };
    }
  }
  return config;
}
