// The house plan's lint rules (eslint.config.js housePlan) catch wrong-way imports: ESLint with
// the project's own config on small files placed in each layer, against what ARCHITECTURE.md
// allows. A check that the rules bite, not only that today's code passes them.
import { ESLint } from 'eslint';
import { check } from './helpers.mjs';

const RULE = '@typescript-eslint/no-restricted-imports';

/** [file it would be, import line, whether the plan forbids it] */
const CASES = [
  ['src/ui/app/x.ts', "import { acquireGpu } from '../../gpu';", true],
  ['src/ui/app/x.ts', "import { startWorker } from '../../worker/client';", true],
  ['src/ui/app/x.ts', "import type { LabApi } from '../../worker/api';", false],
  ['src/ui/app/x.ts', "import { defaultNotebook } from '../../notebook';", false],
  ['src/ui/x.ts', "import { openLab } from '../lab/lab';", true],
  ['src/gpu/x.ts', "import { openLab } from '../lab/lab';", true],
  ['src/nn/x.ts', "import { FlowModel } from '../models/flows/flow-model';", true],
  ['src/worker/x.ts', "import { emaOf } from '../nn/trainer';", true],
  ['src/worker/x.ts', "import { openLab } from '../lab/lab';", false],
  ['src/gallery/x.ts', "import { FfApp } from '../ui/app/app';", true],
  ['src/ui/gallery/x.ts', "import { GALLERY } from '../../gallery';", false],
  ['src/ui/app/x.ts', "import { zip } from '../../export/zip';", false],
  ['src/export/x.ts', "import { openLab } from '../lab/lab';", true],
  ['src/models/flows/x.ts', "import { LabSession } from '../../worker/session';", true],
  ['src/models/flows/x.ts', "import { PipelineCache } from '../../gpu';", false],
  ['src/notebook/x.ts', "import { GpuRuntime } from '../gpu';", true],
];

export const housePlanChecks = [
  [
    'lint: the house plan rejects wrong-way imports and allows the plan',
    async () => {
      const eslint = new ESLint();
      const wrong = [];
      for (const [filePath, line, forbidden] of CASES) {
        const name = line.match(/import (?:type )?\{ (\w+) \}/)[1];
        const code = `${line}\nexport const used = ${line.includes('import type') ? 'undefined as unknown as ' : ''}${name};\n`;
        const [result] = await eslint.lintText(code, { filePath });
        const flagged = result.messages.some((m) => m.ruleId === RULE);
        if (flagged !== forbidden)
          wrong.push(`${filePath}: ${line} (${flagged ? 'flagged' : 'allowed'})`);
      }
      check(wrong.length === 0, `the house plan's lint rules judged wrongly: ${wrong.join('; ')}`);
      return `${CASES.length} imports judged`;
    },
  ],
];
