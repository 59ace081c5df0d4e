/**
 * The Model cell's "Coupling" controls for flow matching: independent pairs, minibatch OT, or
 * reflow of a teacher cell (with the teacher, its pair count and RK4 steps). Renders only; every
 * change goes out through `onChange` as the new coupling settings.
 */
import { html, nothing } from 'lit';
import {
  COUPLINGS,
  MAX_OT_BATCH,
  REFLOW_LIMITS,
  defaultReflow,
  settingsErrors,
  type Coupling,
  type ModelSettings,
  type ReflowSettings,
  type TrainSettings,
} from '../../notebook';
import { numberField } from '../fields';
import '../markdown/markdown';

/** A Model cell that can teach: its id and title. */
export interface TeacherOption {
  id: string;
  title: string;
}

export const COUPLING_NAMES: Record<Coupling, string> = {
  independent: 'Independent',
  'minibatch-ot': 'Minibatch OT',
  reflow: 'Reflow of a teacher',
};

export const COUPLING_TIPS = {
  coupling:
    'How training pairs each data point with noise. Independent: random pairs (plain flow matching). Minibatch OT: the exact minimum-cost pairing within each batch, solved on the GPU: straighter paths, so fewer ODE steps sample well, at a cost per step that grows with the batch (at most 512). Reflow (Liu et al. 2023): trains on a teacher’s (noise, sample) pairs, so 1–2 Euler steps suffice.',
  teacher:
    'A trained flow-matching model above this cell. Its ODE carries noise to samples; the student learns to reach them in a straight line.',
  pairs:
    'How many (noise, sample) pairs the teacher makes, once, before training: more pairs cover the data better but cost more teacher ODE solves.',
  teacherSteps:
    'RK4 steps of the teacher’s ODE per pair (4 network evaluations each): more steps, more faithful pairs.',
} as const;

/** The learning aid under the control: what each coupling changes in the objective. */
export const COUPLING_EXPLANATION = `A **coupling** chooses which noise $\\epsilon$ each data point $x_0$ is paired with in $L = \\mathbb{E}\\, \\| v_\\theta(x_t, t) - (\\epsilon - x_0) \\|^2$, $x_t = (1-t)\\,x_0 + t\\,\\epsilon$.
- *Independent*: $\\epsilon \\sim \\mathcal{N}(0, I)$ drawn apart from $x_0$. Paths of different pairs cross, so the learned ODE curves and needs more steps.
- *Minibatch OT* (Tong et al. 2023; Pooladian et al. 2023): in each batch, the permutation $\\pi$ minimising $\\sum_i \\| x_i - \\epsilon_{\\pi(i)} \\|^2$, solved exactly on the GPU. Pairs are near each other, paths cross less and are straighter; the pairing costs time every step.
- *Reflow* (Liu et al. 2023): a trained teacher carries noise $z$ to $x = \\mathrm{ODE}(z)$; the student regresses $z - x$ on these fixed pairs. Its paths are nearly straight, so one or two Euler steps land close to the teacher's samples.`;

export interface CouplingChange {
  coupling: Coupling;
  reflow: ReflowSettings | undefined;
}

export interface CouplingOptions {
  model: ModelSettings;
  train: TrainSettings;
  teachers: readonly TeacherOption[];
  /** Why the chosen teacher cannot teach (reflowTeacher's message), or ''. */
  teacherError: string;
  onChange: (change: CouplingChange) => void;
}

export function couplingControls(options: CouplingOptions) {
  const { model, train, teachers, teacherError, onChange } = options;
  const coupling = model.coupling ?? 'independent';
  const reflow = model.reflow;
  const noTeacher = teachers.length === 0;
  const pick = (next: Coupling) =>
    onChange({
      coupling: next,
      // Reflow starts from the nearest teacher above; leaving reflow drops its settings.
      reflow: next === 'reflow' ? (reflow ?? defaultReflow(teachers.at(-1)!.id)) : undefined,
    });
  const setReflow = (patch: Partial<ReflowSettings>) =>
    onChange({ coupling, reflow: { ...reflow!, ...patch } });
  // The batch field shows its own range; this is the OT limit (the Train cell refuses it too).
  const otError =
    coupling === 'minibatch-ot' && train.batch > MAX_OT_BATCH
      ? settingsErrors(model, train)['batch']
      : undefined;
  const known = reflow && teachers.some((t) => t.id === reflow.teacher);
  return html`<h3>Coupling</h3>
    <div class="row">
      <label for="coupling"
        >Coupling
        <select
          id="coupling"
          name="coupling"
          title=${COUPLING_TIPS.coupling}
          aria-describedby="coupling-tip"
          @change=${(event: Event) => pick((event.target as HTMLSelectElement).value as Coupling)}
        >
          ${COUPLINGS.map(
            (choice) =>
              html`<option
                value=${choice}
                ?selected=${choice === coupling}
                ?disabled=${choice === 'reflow' && noTeacher && coupling !== 'reflow'}
              >
                ${COUPLING_NAMES[choice]}
              </option>`,
          )}
        </select>
        <span id="coupling-tip" hidden>${COUPLING_TIPS.coupling}</span>
      </label>
      ${
        coupling === 'reflow' && reflow
          ? html`<label for="reflowTeacher"
                >Teacher
                <select
                  id="reflowTeacher"
                  name="reflowTeacher"
                  title=${COUPLING_TIPS.teacher}
                  @change=${(event: Event) =>
                    setReflow({ teacher: (event.target as HTMLSelectElement).value })}
                >
                  ${
                    known
                      ? nothing
                      : html`<option value=${reflow.teacher} selected>
                          ${reflow.teacher} (unavailable)
                        </option>`
                  }
                  ${teachers.map(
                    (t) =>
                      html`<option value=${t.id} ?selected=${t.id === reflow.teacher}>
                        ${t.title || 'Model'} (${t.id})
                      </option>`,
                  )}
                </select>
              </label>
              ${numberField({
                id: 'reflowPairs',
                value: reflow.pairs,
                range: REFLOW_LIMITS.pairs,
                tip: COUPLING_TIPS.pairs,
                onChange: (pairs) => setReflow({ pairs }),
              })}
              ${numberField({
                id: 'teacherSteps',
                value: reflow.teacherSteps,
                range: REFLOW_LIMITS.teacherSteps,
                tip: COUPLING_TIPS.teacherSteps,
                onChange: (teacherSteps) => setReflow({ teacherSteps }),
              })}`
          : nothing
      }
    </div>
    ${
      noTeacher && coupling !== 'reflow'
        ? html`<p class="hint">
            Reflow needs a flow-matching Model cell above this one, trained first, as its teacher.
          </p>`
        : nothing
    }
    ${
      coupling === 'reflow' && teacherError
        ? html`<p class="error" role="alert">${teacherError}</p>`
        : nothing
    }
    ${otError ? html`<p class="error" role="alert">${otError}</p>` : nothing}`;
}

/** The learning aid, shown after the model kind's own explanation. */
export function couplingExplanation() {
  return html`<details class="learn" id="coupling-learn">
    <summary>How couplings work</summary>
    <ff-markdown .source=${COUPLING_EXPLANATION}></ff-markdown>
  </details>`;
}
