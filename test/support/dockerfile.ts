import fs from 'node:fs';
import { Copy, DockerfileParser, Env, From, JSONInstruction } from 'dockerfile-ast';

/** One stage of a Dockerfile, as far as the tests need it to rebuild the runtime stage without a container engine. */
export interface Stage {
  name?: string;
  /** The FROM image, e.g. `node:22-bookworm-slim`. */
  image: string;
  workdir: string;
  env: Record<string, string>;
  copies: CopyStep[];
  /** RUN commands, shell form, in order. */
  runs: string[];
  user?: string;
  /** CMD / ENTRYPOINT in exec form; undefined when absent, `shell` when written in shell form. */
  cmd?: string[] | 'shell';
  entrypoint?: string[] | 'shell';
}

export interface CopyStep {
  /** The stage copied from; undefined for the build context. */
  from?: string;
  sources: string[];
  dest: string;
  flags: string[];
}

/** Parses the Dockerfile with dockerfile-ast (the parser of VS Code's Docker language server). */
export function readDockerfile(file: string): Stage[] {
  const parsed = DockerfileParser.parse(fs.readFileSync(file, 'utf8'));
  const stages: Stage[] = [];
  for (const instruction of parsed.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const from = instruction as From;
      stages.push({ name: from.getBuildStage() ?? undefined, image: from.getImage() ?? '', workdir: '/', env: {}, copies: [], runs: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile: ${keyword} before FROM`);
    const args = instruction.getArguments().map((a) => a.getValue());
    switch (keyword) {
      case 'WORKDIR':
        stage.workdir = args[0].startsWith('/') ? args[0] : `${stage.workdir.replace(/\/$/, '')}/${args[0]}`;
        break;
      case 'ENV':
        for (const p of (instruction as Env).getProperties()) stage.env[p.getName()] = p.getValue() ?? '';
        break;
      case 'COPY': {
        const copy = instruction as Copy;
        const paths = args.filter((a) => !a.startsWith('--'));
        stage.copies.push({
          from: copy.getFromFlag()?.getValue() ?? undefined,
          sources: paths.slice(0, -1),
          dest: paths.at(-1) ?? '',
          flags: args.filter((a) => a.startsWith('--')),
        });
        break;
      }
      case 'RUN':
        stage.runs.push(instruction.getArgumentsContent() ?? '');
        break;
      case 'USER':
        stage.user = args[0];
        break;
      case 'CMD':
      case 'ENTRYPOINT': {
        const json = (instruction as JSONInstruction).getJSONStrings();
        const form = json.length > 0 ? json.map((s) => s.getJSONValue()) : 'shell';
        if (keyword === 'CMD') stage.cmd = form;
        else stage.entrypoint = form;
        break;
      }
    }
  }
  return stages;
}
