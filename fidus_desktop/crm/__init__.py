"""The CRM core: the pipeline (prospects and portal leads), clients, conversion, duplicates,
import and export, and each person's timeline. Qt-free; the window (``ui/crm``) and the
``fidus-desktop crm`` command are its two front ends."""
