import { createAppServices } from '../services/app-services';

export const x = createAppServices;
