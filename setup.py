"""Packaging for factdyn; every field comes from settings.ini (nbdev 2 convention)."""
import shlex
from configparser import ConfigParser

import setuptools

config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

requirements = shlex.split(cfg.get('requirements', ''))
dev_requirements = shlex.split(cfg.get('dev_requirements', ''))
bench_requirements = shlex.split(cfg.get('bench_requirements', ''))

setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    author=cfg['author'],
    author_email=cfg['author_email'],
    license='Apache-2.0',
    # Packages live at the repository root. Saying so (package_dir '' -> '.') lets setuptools' default
    # (lenient) editable install put the root on sys.path with a plain .pth file, as the deprecated 'compat'
    # mode did, instead of a meta path finder: new modules written by nbdev_export are importable at once,
    # the value lists are read in place, and the install prints no setuptools warning.
    package_dir={'': '.'},
    # The value lists (factdyn/lists/*.txt, factdyn/lists/templates/*.txt) are data folders without an
    # __init__.py: find_namespace_packages declares them as packages, so setuptools ships their files as
    # package data instead of warning that 'factdyn.lists' "would be ignored".
    packages=setuptools.find_namespace_packages(include=['factdyn', 'factdyn.*'], exclude=['*.__pycache__']),
    package_data={'factdyn.lists': ['*.txt'], 'factdyn.lists.templates': ['*.txt']},
    include_package_data=True,
    python_requires='>=' + cfg['min_python'],
    install_requires=requirements,
    extras_require={'dev': dev_requirements, 'bench': bench_requirements},
    entry_points={
        'console_scripts': cfg.get('console_scripts', '').split(),
        'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"],
    },
    zip_safe=False,
)
