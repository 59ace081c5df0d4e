/**
 * The Model cell's "Pairing" controls for flow matching: independent pairs, minibatch OT, or
 * reflow of a teacher cell (with the teacher, its pair count and RK4 steps). Renders only; every
 * change goes out through `onChange` as the new pairing settings.
 */
import { html, nothing } from 'lit';
import {
  PAIRINGS,
  MAX_OT_BATCH,
  REFLOW_LIMITS,
  defaultReflow,
  settingsErrors,
  type Pairing,
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

export const PAIRING_NAMES: Record<Pairing, string> = {
  independent: 'Independent',
  'minibatch-ot': 'Minibatch OT',
  reflow: 'Reflow of a teacher',
};

export const PAIRING_TIPS = {
  pairing:
    'How training pairs each data point with noise. Independent: random pairs (plain flow matching). Minibatch OT: the exact minimum-cost pairing within each batch, solved on the GPU: straighter paths, so fewer ODE steps sample well, at a cost per step that grows with the batch (at most 512). Reflow (Liu et al. 2023): trains on a teacher’s (noise, sample) pairs, so 1–2 Euler steps suffice.',
  teacher:
    'A trained flow-matching model above this cell. Its ODE carries noise to samples; the student learns to reach them in a straight line.',
  pairs:
    'How many (noise, sample) pairs the teacher makes, once, before training: more pairs cover the data better but cost more teacher ODE solves.',
  teacherSteps:
    'RK4 steps of the teacher’s ODE per pair (4 network evaluations each): more steps, more faithful pairs.',
} as const;

/** The learning aid under the control: what each pairing changes in the objective. */
export const PAIRING_EXPLANATION = `A **pairing** chooses which noise $\\epsilon$ each data point $x_0$ is paired with in $L = \\mathbb{E}\\, \\| v_\\theta(x_t, t) - (\\epsilon - x_0) \\|^2$, $x_t = (1-t)\\,x_0 + t\\,\\epsilon$.
- *Independent*: $\\epsilon \\sim \\mathcal{N}(0, I)$ drawn apart from $x_0$. Paths of different pairs cross, so the learned ODE curves and needs more steps.
- *Minibatch OT* (Tong et al. 2023; Pooladian et al. 2023): in each batch, the permutation $\\pi$ minimising $\\sum_i \\| x_i - \\epsilon_{\\pi(i)} \\|^2$, solved exactly on the GPU. Pairs are near each other, paths cross less and are straighter; the pairing costs time every step.
- *Reflow* (Liu et al. 2023): a trained teacher carries noise $z$ to $x = \\mathrm{ODE}(z)$; the student regresses $z - x$ on these fixed pairs. Its paths are nearly straight, so one or two Euler steps land close to the teacher's samples.`;

export interface PairingChange {
  pairing: Pairing;
  reflow: ReflowSettings | undefined;
}

export interface PairingOptions {
  model: ModelSettings;
  train: TrainSettings;
  teachers: readonly TeacherOption[];
  /** Why the chosen teacher cannot teach (reflowTeacher's message), or ''. */
  teacherError: string;
  onChange: (change: PairingChange) => void;
}

export function pairingControls(options: PairingOptions) {
  const { model, train, teachers, teacherError, onChange } = options;
  const pairing = model.pairing ?? 'independent';
  const reflow = model.reflow;
  const noTeacher = teachers.length === 0;
  const pick = (next: Pairing) =>
    onChange({
      pairing: next,
      // Reflow starts from the nearest teacher above; leaving reflow drops its settings.
      reflow: next === 'reflow' ? (reflow ?? defaultReflow(teachers.at(-1)!.id)) : undefined,
    });
  const setReflow = (patch: Partial<ReflowSettings>) =>
    onChange({ pairing, reflow: { ...reflow!, ...patch } });
  // The batch field shows its own range; this is the OT limit (the Train cell refuses it too).
  const otError =
    pairing === 'minibatch-ot' && train.batch > MAX_OT_BATCH
      ? settingsErrors(model, train)['batch']
      : undefined;
  const known = reflow && teachers.some((t) => t.id === reflow.teacher);
  return html`<h3>Pairing</h3>
    <div class="row">
      <label for="pairing"
        >Pairing
        <select
          id="pairing"
          name="pairing"
          title=${PAIRING_TIPS.pairing}
          aria-describedby="pairing-tip"
          @change=${(event: Event) => pick((event.target as HTMLSelectElement).value as Pairing)}
        >
          ${PAIRINGS.map(
            (choice) =>
              html`<option
                value=${choice}
                ?selected=${choice === pairing}
                ?disabled=${choice === 'reflow' && noTeacher && pairing !== 'reflow'}
              >
                ${PAIRING_NAMES[choice]}
              </option>`,
          )}
        </select>
        <span id="pairing-tip" hidden>${PAIRING_TIPS.pairing}</span>
      </label>
      ${
        pairing === 'reflow' && reflow
          ? html`<label for="reflowTeacher"
                >Teacher
                <select
                  id="reflowTeacher"
                  name="reflowTeacher"
                  title=${PAIRING_TIPS.teacher}
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
                tip: PAIRING_TIPS.pairs,
                onChange: (pairs) => setReflow({ pairs }),
              })}
              ${numberField({
                id: 'teacherSteps',
                value: reflow.teacherSteps,
                range: REFLOW_LIMITS.teacherSteps,
                tip: PAIRING_TIPS.teacherSteps,
                onChange: (teacherSteps) => setReflow({ teacherSteps }),
              })}`
          : nothing
      }
    </div>
    ${
      noTeacher && pairing !== 'reflow'
        ? html`<p class="hint">
            Reflow needs a flow-matching Model cell above this one, trained first, as its teacher.
          </p>`
        : nothing
    }
    ${
      pairing === 'reflow' && teacherError
        ? html`<p class="error" role="alert">${teacherError}</p>`
        : nothing
    }
    ${otError ? html`<p class="error" role="alert">${otError}</p>` : nothing}`;
}

/** The learning aid, shown after the model kind's own explanation. */
export function pairingExplanation() {
  return html`<details class="learn" id="pairing-learn">
    <summary>How pairings work</summary>
    <ff-markdown .source=${PAIRING_EXPLANATION}></ff-markdown>
  </details>`;
}
