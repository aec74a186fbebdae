/** The provider registry: adding a provider is one adapter file plus its line here. */
import { casekeeper } from "./casekeeper";
import { checkr } from "./checkr";
import { greenhouse } from "./greenhouse";
import { karmacheck } from "./karmacheck";
import { keldair } from "./keldair";
import { persona } from "./persona";
import { smartrecruiters } from "./smartrecruiters";
import { standard } from "./standard";
import { sumsub } from "./sumsub";
import { truework } from "./truework";
import { veriff } from "./veriff";
import type { ProviderAdapter } from "./types";

export const providers = { karmacheck, truework, casekeeper, keldair, checkr, greenhouse, smartrecruiters, persona, sumsub, veriff, standard } as const;

export type ProviderName = keyof typeof providers;
export const PROVIDER_NAMES = Object.keys(providers) as [ProviderName, ...ProviderName[]];

export function adapterFor(name: string): ProviderAdapter<unknown> | undefined {
  return Object.hasOwn(providers, name) ? (providers[name as ProviderName] as ProviderAdapter<unknown>) : undefined;
}
